// ggmlcheck: a small C front end to llama.cpp's own library (the prebuilt
// libggml-base / libllama of node-llama-cpp's @node-llama-cpp/linux-x64),
// for `make ggml-check` (see .ci/ggml-check and gguf/ggmlcheck_test.go).
// It computes nothing itself: every number comes from ggml.
//
//   ggmlcheck traits                 one line per ggml type: id name block bytes to_float(0/1)
//   ggmlcheck dequant TYPE IN OUT    OUT = ggml's to_float of the whole blocks in IN (raw bytes)
//   ggmlcheck quantize IN OUT FTYPE  llama_model_quantize IN (an F32 GGUF) to OUT as llama_ftype
//                                    FTYPE, with a flat importance matrix so that every type quantizes
//   ggmlcheck twin IN OUT            OUT = IN with every tensor converted to F32 by ggml's to_float
//
// Built against the headers of the same llama.cpp release (from the
// gitRelease.bundle that node-llama-cpp ships), so the ABI is exact.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml.h"
#include "gguf.h"
#include "llama.h"

static void die(const char *msg, const char *arg) {
    fprintf(stderr, "ggmlcheck: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    exit(1);
}

static void *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(size > 0 ? size : 1);
    if (fread(buf, 1, size, f) != (size_t)size) die("cannot read", path);
    fclose(f);
    *n = size;
    return buf;
}

static int cmd_traits(void) {
    for (int t = 0; t < GGML_TYPE_COUNT; t++) {
        const struct ggml_type_traits *tr = ggml_get_type_traits(t);
        if (tr->blck_size == 0) continue; // removed ids
        printf("%d %s %lld %zu %d\n", t, tr->type_name, (long long)tr->blck_size, tr->type_size, tr->to_float != NULL);
    }
    return 0;
}

static int cmd_dequant(int type, const char *in, const char *out) {
    const struct ggml_type_traits *tr = ggml_get_type_traits(type);
    if (!tr->to_float) die("type has no to_float", tr->type_name);
    size_t n;
    void *raw = read_all(in, &n);
    if (n % tr->type_size) die("input is not whole blocks", in);
    int64_t k = (int64_t)(n / tr->type_size) * tr->blck_size;
    float *y = malloc(sizeof(float) * (k > 0 ? k : 1));
    tr->to_float(raw, y, k);
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(y, sizeof(float), k, f) != (size_t)k || fclose(f)) die("cannot write", out);
    return 0;
}

static int cmd_quantize(const char *in, const char *out, int ftype) {
    // The tensor list, for the importance matrix: one positive weight per
    // column of every matrix (what llama-imatrix would give, made flat).
    struct ggml_context *meta = NULL;
    struct gguf_init_params gp = {.no_alloc = true, .ctx = &meta};
    struct gguf_context *g = gguf_init_from_file(in, gp);
    if (!g) die("cannot read GGUF", in);
    int nt = (int)gguf_get_n_tensors(g);
    struct llama_model_imatrix_data *im = calloc(nt + 1, sizeof *im);
    int ni = 0;
    for (struct ggml_tensor *t = ggml_get_first_tensor(meta); t; t = ggml_get_next_tensor(meta, t)) {
        if (ggml_n_dims(t) < 2) continue;
        int64_t cols = t->ne[0] * t->ne[2];
        float *w = malloc(sizeof(float) * cols);
        for (int64_t i = 0; i < cols; i++) w[i] = 1.0f + 0.5f * (float)((i * 7919) % 13) / 13.0f;
        im[ni].name = t->name;
        im[ni].data = w;
        im[ni].size = cols;
        ni++;
    }
    struct llama_model_quantize_params p = llama_model_quantize_default_params();
    p.ftype = (enum llama_ftype)ftype;
    p.imatrix = im;
    if (llama_model_quantize(in, out, &p) != 0) die("llama_model_quantize failed", in);
    return 0;
}

static int cmd_twin(const char *in, const char *out) {
    struct ggml_context *data = NULL;
    struct gguf_init_params gp = {.no_alloc = false, .ctx = &data};
    struct gguf_context *g = gguf_init_from_file(in, gp);
    if (!g) die("cannot read GGUF", in);
    size_t need = ggml_tensor_overhead() * (gguf_get_n_tensors(g) + 1);
    for (struct ggml_tensor *t = ggml_get_first_tensor(data); t; t = ggml_get_next_tensor(data, t))
        need += ggml_nelements(t) * sizeof(float) + 64;
    struct ggml_init_params ip = {.mem_size = need, .mem_buffer = NULL, .no_alloc = false};
    struct ggml_context *ctx = ggml_init(ip);
    struct gguf_context *o = gguf_init_empty();
    gguf_set_kv(o, g);
    // (the context also holds the data blob as a tensor: go by the file's list)
    for (int64_t i = 0; i < gguf_get_n_tensors(g); i++) {
        struct ggml_tensor *t = ggml_get_tensor(data, gguf_get_tensor_name(g, i));
        if (t->type == GGML_TYPE_F32) {
            gguf_add_tensor(o, t);
            continue;
        }
        const struct ggml_type_traits *tr = ggml_get_type_traits(t->type);
        if (!tr->to_float) die("tensor type has no to_float", t->name);
        struct ggml_tensor *f = ggml_new_tensor(ctx, GGML_TYPE_F32, ggml_n_dims(t), t->ne);
        ggml_set_name(f, t->name);
        tr->to_float(t->data, (float *)f->data, ggml_nelements(t));
        gguf_add_tensor(o, f);
    }
    if (!gguf_write_to_file(o, out, false)) die("cannot write", out);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "traits")) return cmd_traits();
    if (argc == 5 && !strcmp(argv[1], "dequant")) return cmd_dequant(atoi(argv[2]), argv[3], argv[4]);
    if (argc == 5 && !strcmp(argv[1], "quantize")) {
        llama_backend_init();
        return cmd_quantize(argv[2], argv[3], atoi(argv[4]));
    }
    if (argc == 4 && !strcmp(argv[1], "twin")) return cmd_twin(argv[2], argv[3]);
    fprintf(stderr, "usage: ggmlcheck traits | dequant TYPE IN OUT | quantize IN OUT FTYPE | twin IN OUT\n");
    return 2;
}
