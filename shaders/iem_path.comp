#version 450
// One batch of steps [k0, k0+B) of IEM's shared Brownian path. For every
// element e: w_k = w0 + sum_{j<k} dw_j (carried in wstate between batches),
// dw_k = sqrt(dgamma_k) N(seed, step k, e) or replayed from a buffer, and the
// noisy inputs y_i = x_i + w_k / gamma_k for both images of each of P pairs
// (all pairs share the path). Output y holds 2PB images, laid out
// [pair][x1, x2][step], so image j's noise level is step j % B.
//
// An invocation takes the four elements of one Philox block (e = 4i..4i+3),
// so each block is generated once, not once per element, and moves them as
// one vec4 where images start on a vec4 (numel a multiple of 4): a CPU
// driver loads a storage buffer lane by lane, so a vec4 is a quarter of the
// loads. Other sizes take the scalar form of the same code.
#include "philox.glsl"
layout(local_size_x = 256) in;

layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 0) writeonly buffer Y4 { vec4 y4[]; };
layout(std430, binding = 1) writeonly buffer DW { float dwOut[]; }; // B x numel
layout(std430, binding = 1) writeonly buffer DW4 { vec4 dwOut4[]; };
layout(std430, binding = 2) buffer WS { float ws[]; };             // numel
layout(std430, binding = 2) buffer WS4 { vec4 ws4[]; };
#ifdef TEXEL4
// TEXEL4 (wide only): the images as uniform texel buffers of rgba32f, whose
// fetches a CPU driver runs as vector code for all SIMD lanes; the host
// picks it where the buffers fit texel views.
layout(binding = 3) uniform samplerBuffer x1T;                     // P x numel
layout(binding = 4) uniform samplerBuffer x2T;                     // P x numel
#define X1(base, n) texelFetch(x1T, int((base) >> 2))
#define X2(base, n) texelFetch(x2T, int((base) >> 2))
#else
layout(std430, binding = 3) readonly buffer X1 { float x1[]; };    // P x numel
layout(std430, binding = 3) readonly buffer X14 { vec4 x14[]; };
layout(std430, binding = 4) readonly buffer X2 { float x2[]; };    // P x numel
layout(std430, binding = 4) readonly buffer X24 { vec4 x24[]; };
#define X1(base, n) LOAD4(x1, x14, base, n)
#define X2(base, n) LOAD4(x2, x24, base, n)
#endif
layout(std430, binding = 5) readonly buffer Grid { float grid[]; }; // sigma[K], gamma[K+1], dgamma[K]
layout(std430, binding = 6) readonly buffer RW0 { float rw0[]; };   // replayed w0 (numel)
layout(std430, binding = 6) readonly buffer RW04 { vec4 rw04[]; };
layout(std430, binding = 7) readonly buffer RDW { float rdw[]; };   // replayed dw (K x numel)
layout(std430, binding = 7) readonly buffer RDW4 { vec4 rdw4[]; };

layout(push_constant) uniform P { uint numel, k0, B, K, replay, key0, key1, pairs; } p;

// The four elements from base, as a vec4 or (n < 4 at the end of an image
// of odd size) lane by lane; the lanes past n are not read.
#define LOAD4(a, a4, base, n) (wide ? a4[(base) >> 2] : \
    vec4(a[base], (n) > 1u ? a[(base) + 1u] : 0.0, (n) > 2u ? a[(base) + 2u] : 0.0, (n) > 3u ? a[(base) + 3u] : 0.0))
#define STORE4(a, a4, base, n, v) \
    if (wide) { a4[(base) >> 2] = (v); } else { \
        a[base] = (v).x; \
        if ((n) > 1u) a[(base) + 1u] = (v).y; \
        if ((n) > 2u) a[(base) + 2u] = (v).z; \
        if ((n) > 3u) a[(base) + 3u] = (v).w; }

void main() {
    uint blk = gl_GlobalInvocationID.x, e = 4u * blk;
    if (e >= p.numel) return;
    bool wide = (p.numel & 3u) == 0u;
    uint n = min(4u, p.numel - e);
    uvec2 key = uvec2(p.key0, p.key1);
    uint gOff = p.K, dOff = 2u * p.K + 1u;
    vec4 w;
    if (p.k0 == 0u) {
        w = p.replay != 0u ? LOAD4(rw0, rw04, e, n) : sqrt(grid[gOff]) * normal4(philox4x32(noiseCounter(e, 0u, 0u), key));
    } else {
        w = LOAD4(ws, ws4, e, n);
    }
    for (uint b = 0u; b < p.B; b++) {
        uint k = p.k0 + b;
        float gamma = grid[gOff + k];
        vec4 dw = p.replay != 0u ? LOAD4(rdw, rdw4, k * p.numel + e, n)
                                 : sqrt(grid[dOff + k]) * normal4(philox4x32(noiseCounter(e, k, 1u), key));
        vec4 shift = w / gamma;
        for (uint q = 0u; q < p.pairs; q++) {
            vec4 v1 = X1(q * p.numel + e, n) + shift;
            vec4 v2 = X2(q * p.numel + e, n) + shift;
            STORE4(y, y4, ((2u * q) * p.B + b) * p.numel + e, n, v1)
            STORE4(y, y4, ((2u * q + 1u) * p.B + b) * p.numel + e, n, v2)
        }
        STORE4(dwOut, dwOut4, b * p.numel + e, n, dw)
        w += dw;
    }
    STORE4(ws, ws4, e, n, w)
}
