from typing import Any, Dict, Iterable, Iterator, Optional

from ._backoffice import DEFAULT_POLICY_NAME as DEFAULT_POLICY_NAME
from ._backoffice import KINDS as KINDS
from ._backoffice import Engine as Engine
from ._backoffice import __version__ as __version__
from ._backoffice import check_policy as check_policy
from ._backoffice import hooks as hooks
from ._backoffice import result_schema as result_schema
from .errors import BackofficeError as BackofficeError
from .errors import DecisionError as DecisionError
from .errors import InvalidArgument as InvalidArgument
from .errors import PolicyError as PolicyError

INPUT_SCHEMAS: Dict[str, Dict[str, str]]

def decide_table(engine: Engine, table: Any, **kwargs: Any) -> Any: ...
def map_batches(engine: Engine, batches: Iterable[Any], **kwargs: Any) -> Iterator[Any]: ...
def cached_engine(
    kind: str, config: Any = None, policy: Optional[str] = None, policy_name: Optional[str] = None
) -> Engine: ...
