/*
 * A C client of the backoffice C ABI.
 *
 *   bo_example SAMPLES_DIR POLICIES_DIR
 *
 * For every engine kind the library has, it builds the engine (without a policy, and with
 * POLICIES_DIR/<kind>.rhai when that file exists), decides SAMPLES_DIR/<kind>.json (one
 * request), decides a batch of two, has 4 threads decide on one engine at once, and
 * prints the results. It then makes the calls a careless caller would (null pointers,
 * invalid UTF-8, a broken policy) and prints the structured errors. Everything the
 * library hands out is freed with the library's own free functions, so valgrind and
 * AddressSanitizer report no leak.
 *
 * Exits 0 when every status is the expected one, 1 otherwise.
 */
#include "backoffice.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "FAILED %s:%d: ", __FILE__, __LINE__);            \
            fprintf(stderr, __VA_ARGS__);                                     \
            fprintf(stderr, "\n");                                            \
            failures++;                                                       \
        }                                                                     \
    } while (0)

/* Reads a whole file into a NUL-terminated buffer (free with free()); NULL if absent. */
static char *read_file(const char *path, size_t *out_len) {
    FILE *file = fopen(path, "rb");
    if (!file) {
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(file);
        return NULL;
    }
    for (;;) {
        if (len + 1 >= cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                fclose(file);
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, file);
        if (n == 0) {
            break;
        }
        len += n;
    }
    fclose(file);
    buf[len] = '\0';
    if (out_len) {
        *out_len = len;
    }
    return buf;
}

/* Prints a result under a label, checks its status, and frees it. */
static void show(const char *label, BoResult *result, BoStatus expected) {
    size_t len = 0;
    const char *json = bo_result_json(result, &len);
    BoStatus status = bo_result_status(result);
    printf("%s -> %s (%zu bytes)\n  %.*s%s\n", label, bo_status_name(status), len,
           (int)(len > 600 ? 600 : len), json ? json : "(null)", len > 600 ? " ..." : "");
    CHECK(status == expected, "%s: expected %s, got %s", label, bo_status_name(expected),
          bo_status_name(status));
    bo_result_free(result);
}

/* Builds an engine; NULL (and a printed error) on failure. */
static BoEngine *make_engine(const char *kind, const char *policy_name, const char *policy_source) {
    BoEngine *engine = NULL;
    BoResult *made = bo_engine_new_named(kind, "{}", policy_name, policy_source, &engine);
    char label[256];
    snprintf(label, sizeof label, "new %s engine%s%s", kind, policy_name ? " with " : "",
             policy_name ? policy_name : "");
    show(label, made, BO_STATUS_OK);
    return engine;
}

struct worker {
    const BoEngine *engine;
    const char *request;
    size_t len;
    const char *expected;
    size_t expected_len;
    int mismatches;
};

static void *decide_many(void *arg) {
    struct worker *w = arg;
    for (int i = 0; i < 20; i++) {
        BoResult *r = bo_engine_decide(w->engine, (const uint8_t *)w->request, w->len);
        size_t len = 0;
        const char *json = bo_result_json(r, &len);
        if (bo_result_status(r) != BO_STATUS_OK || len != w->expected_len ||
            memcmp(json, w->expected, len) != 0) {
            w->mismatches++;
        }
        bo_result_free(r);
    }
    return NULL;
}

static void run_kind(const char *kind, const char *samples, const char *policies) {
    char path[1024];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s.json", samples, kind);
    char *request = read_file(path, &len);
    if (!request) {
        printf("(no sample request %s: skipping the %s engine)\n", path, kind);
        return;
    }

    BoEngine *engine = make_engine(kind, NULL, NULL);
    if (engine) {
        printf("engine kind: %s\n", bo_engine_kind(engine));

        BoResult *r = bo_engine_decide(engine, (const uint8_t *)request, len);
        size_t expected_len = 0;
        const char *json = bo_result_json(r, &expected_len);
        char *expected = malloc(expected_len + 1);
        if (expected) {
            memcpy(expected, json, expected_len + 1);
        }
        show("decide", r, BO_STATUS_OK);

        /* A batch of the same request twice, and one malformed element. */
        size_t batch_len = 2 * len + 32;
        char *batch = malloc(batch_len);
        if (batch) {
            int n = snprintf(batch, batch_len, "[%s,%s,{\"nope\":1}]", request, request);
            show("decide batch of 3", bo_engine_decide_batch(engine, (const uint8_t *)batch, (size_t)n),
                 BO_STATUS_OK);
            free(batch);
        }

        /* With a trace. */
        show("decide with trace",
             bo_engine_decide_with(engine, (const uint8_t *)request, len, "{\"trace\":true}"), BO_STATUS_OK);

        /* Four threads on one engine, each checking it gets the same bytes. */
        if (expected) {
            pthread_t threads[4];
            struct worker workers[4];
            for (int t = 0; t < 4; t++) {
                workers[t] = (struct worker){engine, request, len, expected, expected_len, 0};
                pthread_create(&threads[t], NULL, decide_many, &workers[t]);
            }
            int mismatches = 0;
            for (int t = 0; t < 4; t++) {
                pthread_join(threads[t], NULL);
                mismatches += workers[t].mismatches;
            }
            printf("4 threads x 20 decisions on one %s engine: %d mismatches\n", kind, mismatches);
            CHECK(mismatches == 0, "threads saw different decisions");
            free(expected);
        }

        /* Hostile input on a real engine. */
        const uint8_t bad_utf8[] = {'{', '"', 0xff, '"', ':', '1', '}'};
        show("decide invalid UTF-8", bo_engine_decide(engine, bad_utf8, sizeof bad_utf8),
             BO_STATUS_INVALID_ARGUMENT);
        show("decide truncated JSON", bo_engine_decide(engine, (const uint8_t *)request, len / 2),
             BO_STATUS_INVALID_ARGUMENT);
        show("decide null input", bo_engine_decide(engine, NULL, 10), BO_STATUS_INVALID_ARGUMENT);
        bo_engine_free(engine);
    }

    /* With the example policy, when there is one. */
    snprintf(path, sizeof path, "%s/%s.rhai", policies, kind);
    char *policy = read_file(path, NULL);
    if (policy) {
        char name[128];
        snprintf(name, sizeof name, "%s.rhai", kind);
        BoEngine *with_policy = make_engine(kind, name, policy);
        if (with_policy) {
            BoResult *r = bo_engine_decide(with_policy, (const uint8_t *)request, len);
            BoStatus status = bo_result_status(r);
            /* A sample written for the built-in rules may be refused by a policy: print it
               either way; only a panic or an invalid argument is a failure here. */
            show("decide with policy", r, status == BO_STATUS_PANIC || status == BO_STATUS_INVALID_ARGUMENT
                                                ? BO_STATUS_OK
                                                : status);
            bo_engine_free(with_policy);
        }
        free(policy);
    }

    /* A policy with a syntax error: the diagnostics carry line and column. */
    BoEngine *broken = NULL;
    show("new engine with a broken policy",
         bo_engine_new_named(kind, NULL, "broken.rhai", "fn helper() {\n    let x = 1 +;\n}\n", &broken),
         BO_STATUS_POLICY_ERROR);
    CHECK(broken == NULL, "a failed bo_engine_new leaves the engine null");
    free(request);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s SAMPLES_DIR POLICIES_DIR\n", argv[0]);
        return 2;
    }
    printf("backoffice %s, C ABI %u, engines %s\n", bo_version(), bo_abi_version(), bo_engine_kinds());
    CHECK(bo_abi_version() == BO_ABI_VERSION, "ABI version mismatch");

    /* Calls a careless caller makes. */
    bo_result_free(NULL);
    bo_engine_free(NULL);
    show("decide on a null engine", bo_engine_decide(NULL, (const uint8_t *)"{}", 2), BO_STATUS_INVALID_ARGUMENT);
    show("new engine of an unknown kind", bo_engine_new("teleport", NULL, NULL, &(BoEngine *){NULL}),
         BO_STATUS_INVALID_ARGUMENT);
    show("new engine with no out pointer", bo_engine_new("returns", NULL, NULL, NULL), BO_STATUS_INVALID_ARGUMENT);
    CHECK(bo_result_status(NULL) == BO_STATUS_INVALID_ARGUMENT, "null result status");
    CHECK(bo_result_json(NULL, NULL) == NULL, "null result json");

    /* Every kind: the list is a JSON array of plain lower-case names. */
    const char *kinds = bo_engine_kinds();
    for (const char *p = kinds; (p = strchr(p, '"')) != NULL;) {
        const char *end = strchr(p + 1, '"');
        if (!end) {
            break;
        }
        char kind[64];
        size_t n = (size_t)(end - p - 1);
        if (n < sizeof kind) {
            memcpy(kind, p + 1, n);
            kind[n] = '\0';
            printf("\n=== %s ===\n", kind);
            run_kind(kind, argv[1], argv[2]);
        }
        p = end + 1;
    }

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("\nall checks passed\n");
    return 0;
}
