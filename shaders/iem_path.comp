#version 450
// One batch of steps [k0, k0+B) of IEM's shared Brownian path. For every
// element e: w_k = w0 + sum_{j<k} dw_j (carried in wstate between batches),
// dw_k = sqrt(dgamma_k) N(seed, step k, e) or replayed from a buffer, and the
// noisy inputs y_i = x_i + w_k / gamma_k for both images of each of P pairs
// (all pairs share the path). Output y holds 2PB images, laid out
// [pair][x1, x2][step], so image j's noise level is step j % B.
#include "philox.glsl"
layout(local_size_x = 256) in;

layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) writeonly buffer DW { float dwOut[]; }; // B x numel
layout(std430, binding = 2) buffer WS { float wstate[]; };          // numel
layout(std430, binding = 3) readonly buffer X1 { float x1[]; };  // P x numel
layout(std430, binding = 4) readonly buffer X2 { float x2[]; };  // P x numel
layout(std430, binding = 5) readonly buffer Grid { float grid[]; }; // sigma[K], gamma[K+1], dgamma[K]
layout(std430, binding = 6) readonly buffer RW0 { float rw0[]; };   // replayed w0 (numel)
layout(std430, binding = 7) readonly buffer RDW { float rdw[]; };   // replayed dw (K x numel)

layout(push_constant) uniform P { uint numel, k0, B, K, replay, key0, key1, pairs; } p;

void main() {
    uint e = gl_GlobalInvocationID.x;
    if (e >= p.numel) return;
    uvec2 key = uvec2(p.key0, p.key1);
    uint gOff = p.K, dOff = 2u * p.K + 1u;
    float w;
    if (p.k0 == 0u) {
        w = p.replay != 0u ? rw0[e] : sqrt(grid[gOff]) * noiseAt(key, e, 0u, 0u);
    } else {
        w = wstate[e];
    }
    for (uint b = 0u; b < p.B; b++) {
        uint k = p.k0 + b;
        float gamma = grid[gOff + k];
        float dw = p.replay != 0u ? rdw[k * p.numel + e] : sqrt(grid[dOff + k]) * noiseAt(key, e, k, 1u);
        float shift = w / gamma;
        for (uint q = 0u; q < p.pairs; q++) {
            y[((2u * q) * p.B + b) * p.numel + e] = x1[q * p.numel + e] + shift;
            y[((2u * q + 1u) * p.B + b) * p.numel + e] = x2[q * p.numel + e] + shift;
        }
        dwOut[b * p.numel + e] = dw;
        w += dw;
    }
    wstate[e] = w;
}
