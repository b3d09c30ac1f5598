// The book's network one image at a time, hand-written in C with AVX-512 intrinsics: a
// reference for how fast the per-image path can be on this CPU with the same arithmetic as
// ours (f32, each product rounded then added in input order, no fused multiply-adds) and
// the same layout (each layer's rows copied once, padded to whole 512-bit vectors, each on
// cache lines of its own; at most four last outputs summed in a 128-bit vector), and
// softmax left out when it cannot change the class. Run by bench/c_reference.sh, which
// writes the inputs.
//
// Usage: c_reference DIR RUNS. DIR holds W1 b1 W2 b2 W3 b3 (raw little-endian f32), images
// (10000 × 784 bytes) and labels (10000 bytes). Prints one JSON object: the median seconds
// per image over RUNS passes over the test set, and the images classified correctly.
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { IMAGES = 10000, PIXELS = 784, H1 = 50, H2 = 100, OUT = 10 };

static float *w1, *b1, *w2, *b2, *w3, *b3, pixel[256];
// The rows padded: 64, 112 and 16 floats.
static float *p1, *p2, *p3;
static uint8_t *images, *labels;

// Reads `size` bytes of DIR/name into 64-byte aligned memory with 4 KiB of zeros after them,
// so that a vector load past a tensor's end stays inside the allocation.
static void *load(const char *dir, const char *name, size_t size) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t padded = (size + 4096 + 63) / 64 * 64;
    uint8_t *p = aligned_alloc(64, padded);
    FILE *f = fopen(path, "rb");
    if (!p || !f || fread(p, 1, size, f) != size) {
        fprintf(stderr, "error: %s: cannot read %zu bytes\n", path, size);
        exit(1);
    }
    fclose(f);
    memset(p + size, 0, padded - size);
    return p;
}

// The runtime's exp (runtime/src/exp.rs), operation for operation.
static float exp_f32(float x) {
    float input = x;
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    float shifted = x * 1.44269504f + 12582912.0f;
    float n = shifted - 12582912.0f;
    float r = (x - n * 0.6933594f) - n * -2.1219444e-4f;
    float p = 1.9875691e-4f;
    p = p * r + 1.3981999e-3f;
    p = p * r + 8.333452e-3f;
    p = p * r + 4.1665796e-2f;
    p = p * r + 1.6666665e-1f;
    p = p * r + 0.5f;
    float e_r = p * (r * r) + r + 1.0f;
    union { float f; uint32_t u; } s = {shifted}, two;
    two.u = (s.u - 0x4B400000u + 127u) << 23;
    float e = e_r * two.f;
    e = input < -87.0f ? 0.0f : e;
    return input > 88.0f ? __builtin_inff() : e;
}

static void sigmoid(float *v, int n) {
    for (int i = 0; i < n; i++) v[i] = 1.0f / (1.0f + exp_f32(-v[i]));
}

static __m512 add_product(__m512 sum, __m512 x, __m512 w) {
    return _mm512_add_ps(sum, _mm512_mul_ps(x, w));
}

static int classify(const uint8_t *image) {
    float h1[64] __attribute__((aligned(64)));
    float h2[112] __attribute__((aligned(64)));
    float out[16] __attribute__((aligned(64)));

    // Layer 1: the non-zero pixels listed with vpcompressw, then their rows scaled into 50
    // sums (three vectors and a 128-bit one).
    uint16_t list[PIXELS + 64];
    int count = 0;
    __m512i iota = _mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18,
                                    17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    for (int base = 0; base < PIXELS; base += 64) {
        uint64_t nonzero = _mm512_test_epi8_mask(_mm512_loadu_si512(image + base),
                                                 _mm512_loadu_si512(image + base));
        if (base + 64 > PIXELS) nonzero &= (1ull << (PIXELS - base)) - 1;
        __m512i low = _mm512_add_epi16(iota, _mm512_set1_epi16((short)base));
        __m512i high = _mm512_add_epi16(low, _mm512_set1_epi16(32));
        _mm512_storeu_si512(list + count, _mm512_maskz_compress_epi16((uint32_t)nonzero, low));
        count += __builtin_popcount((uint32_t)nonzero);
        _mm512_storeu_si512(list + count,
                            _mm512_maskz_compress_epi16((uint32_t)(nonzero >> 32), high));
        count += __builtin_popcount((uint32_t)(nonzero >> 32));
    }
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0;
    __m128 s3 = _mm_setzero_ps();
    for (int k = 0; k < count; k++) {
        __m512 x = _mm512_set1_ps(pixel[image[list[k]]]);
        const float *w = p1 + list[k] * 64;
        s0 = add_product(s0, x, _mm512_load_ps(w));
        s1 = add_product(s1, x, _mm512_load_ps(w + 16));
        s2 = add_product(s2, x, _mm512_load_ps(w + 32));
        s3 = _mm_add_ps(s3, _mm_mul_ps(_mm512_castps512_ps128(x), _mm_load_ps(w + 48)));
    }
    _mm512_store_ps(h1, _mm512_add_ps(s0, _mm512_loadu_ps(b1)));
    _mm512_store_ps(h1 + 16, _mm512_add_ps(s1, _mm512_loadu_ps(b1 + 16)));
    _mm512_store_ps(h1 + 32, _mm512_add_ps(s2, _mm512_loadu_ps(b1 + 32)));
    _mm512_store_ps(h1 + 48, _mm512_add_ps(_mm512_zextps128_ps512(s3), _mm512_maskz_loadu_ps(0x3, b1 + 48)));
    sigmoid(h1, H1);

    // Layer 2: all 100 sums in six vectors and a 128-bit one, one pass over the 50 inputs.
    __m512 t[6];
    __m128 t6 = _mm_setzero_ps();
    for (int v = 0; v < 6; v++) t[v] = _mm512_setzero_ps();
    for (int i = 0; i < H1; i++) {
        __m512 x = _mm512_set1_ps(h1[i]);
        const float *w = p2 + i * 112;
        for (int v = 0; v < 6; v++) t[v] = add_product(t[v], x, _mm512_load_ps(w + 16 * v));
        t6 = _mm_add_ps(t6, _mm_mul_ps(_mm512_castps512_ps128(x), _mm_load_ps(w + 96)));
    }
    for (int v = 0; v < 6; v++) _mm512_store_ps(h2 + 16 * v, _mm512_add_ps(t[v], _mm512_loadu_ps(b2 + 16 * v)));
    _mm512_store_ps(h2 + 96, _mm512_add_ps(_mm512_zextps128_ps512(t6), _mm512_maskz_loadu_ps(0xf, b2 + 96)));
    sigmoid(h2, H2);

    // Layer 3, then the class: softmax only when another output is within 2^-16 of the
    // largest (runtime/src/softmax.rs, clear_leader).
    __m512 u = _mm512_setzero_ps();
    for (int i = 0; i < H2; i++) u = add_product(u, _mm512_set1_ps(h2[i]), _mm512_load_ps(p3 + i * 16));
    _mm512_store_ps(out, _mm512_add_ps(u, _mm512_maskz_loadu_ps(0x3ff, b3)));
    int best = 0, clear = 1;
    for (int o = 1; o < OUT; o++) if (out[o] > out[best]) best = o;
    for (int o = 0; o < OUT; o++) clear &= o == best || out[o] - out[best] <= -1.0f / 65536.0f;
    if (clear && out[best] - out[best] == 0.0f) return best;  // also: the largest is finite
    float max = out[0], sum = 0.0f;
    for (int o = 1; o < OUT; o++) max = out[o] > max ? out[o] : max;
    for (int o = 0; o < OUT; o++) sum += out[o] = exp_f32(out[o] - max);
    best = 0;
    for (int o = 0; o < OUT; o++) {
        out[o] /= sum;
        if (out[o] > out[best]) best = o;
    }
    return best;
}

// A copy of the `rows × cols` matrix `w` with each row padded with zeros to `width` floats,
// 64-byte aligned.
static float *pad(const float *w, int rows, int cols, int width) {
    float *p = aligned_alloc(64, sizeof(float) * rows * width);
    if (!p) exit(1);
    memset(p, 0, sizeof(float) * rows * width);
    for (int r = 0; r < rows; r++) memcpy(p + r * width, w + r * cols, sizeof(float) * cols);
    return p;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int runs = argc == 3 ? atoi(argv[2]) : 0;
    if (runs < 1) {
        fprintf(stderr, "usage: c_reference DIR RUNS\n");
        return 1;
    }
    const char *dir = argv[1];
    w1 = load(dir, "W1", 4 * PIXELS * H1), b1 = load(dir, "b1", 4 * H1);
    w2 = load(dir, "W2", 4 * H1 * H2), b2 = load(dir, "b2", 4 * H2);
    w3 = load(dir, "W3", 4 * H2 * OUT), b3 = load(dir, "b3", 4 * OUT);
    images = load(dir, "images", IMAGES * PIXELS), labels = load(dir, "labels", IMAGES);
    for (int p = 0; p < 256; p++) pixel[p] = (float)p / 255.0f;
    p1 = pad(w1, PIXELS, H1, 64), p2 = pad(w2, H1, H2, 112), p3 = pad(w3, H2, OUT, 16);

    double *seconds = malloc(sizeof(double) * runs);
    int correct = 0;
    for (int run = -1; run < runs; run++) {  // run -1 warms the caches, untimed
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        correct = 0;
        for (int k = 0; k < IMAGES; k++) correct += classify(images + k * PIXELS) == labels[k];
        clock_gettime(CLOCK_MONOTONIC, &end);
        if (run >= 0)
            seconds[run] = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) * 1e-9;
    }
    qsort(seconds, runs, sizeof *seconds, by_value);
    printf("{\"seconds_per_image\": %.4e, \"correct\": %d}\n", seconds[runs / 2] / IMAGES, correct);
    return 0;
}
