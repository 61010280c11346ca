#version 450
// 3x3 convolution as an implicit GEMM on matrix tiles, nine shifted GEMMs:
// out[px][oc] = sum over taps (ky, kx) and input channels ic of
// in[ic][y+ky-1][px+kx-1] * B[ky*3+kx][ic][oc], B the weights packed as
// binary16 [9][CINP][COUTP] (input channels padded to CINP, output channels
// to COUTP, multiples of 16; zero in the padding). A workgroup computes 64
// adjacent pixels of one row. It stages the three input rows they read, 66
// pixels with the halo, as [row][x][channel] in shared memory, KC channels
// at a time: each input value is read from memory once per workgroup, and
// the A tile of a tap is the staged block shifted by ky rows and kx pixels,
// loaded straight from shared memory with the channel count as row stride.
// Products are binary16, sums fp32; the epilogue (bias, activation,
// residual) goes through shared memory so that stores are along x.
// COOP_KHR does the tile products with VK_KHR_cooperative_matrix (tensor
// cores, matrix cores) on square tiles of the edge the device offers (TE:
// 16 on GPUs, 8 on lavapipe), one subgroup per TE-pixel tile of the
// workgroup's 64. COOP_NV does them with VK_NV_cooperative_matrix, for
// drivers without the KHR extension: 16x16x16 tiles, 32-wide subgroups.
// Without either, groups of 32 invocations emulate the 16x16 tile products
// with scalar fp32 arithmetic: the same staging, packing and epilogue.
// Rows and views follow conv3x3.comp. SRC_F16 / DST_F16 as there.
#extension GL_EXT_shader_16bit_storage : require
#if defined(COOP_NV) || defined(COOP_KHR)
#define COOP
#ifdef COOP_NV
#extension GL_NV_cooperative_matrix : require
#else
#extension GL_KHR_cooperative_matrix : require
#endif
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#define SH_T float16_t
#define HALF(v) float16_t(v)
#else
#define SH_T float
#define HALF(v) unpackHalf2x16(packHalf2x16(vec2(v, 0.0))).x
#endif
#include "common.glsl"
#include "view.glsl"

layout(constant_id = 0) const uint COUTP = 64; // output channels padded to 16
#ifdef COOP_KHR
// The tile edge (8 or 16), and the workgroup's invocations: 64 / TE
// subgroups, so the host sets it from the device's subgroup size.
layout(constant_id = 1) const uint TE = 16;
layout(local_size_x_id = 2, local_size_y = 1, local_size_z = 1) in;
#else
const uint TE = 16u;
layout(local_size_x = 128, local_size_y = 1, local_size_z = 1) in;
#endif
const uint NT = COUTP / TE;                    // TE-channel tiles
const uint TP = 64u;                           // pixels per workgroup
const uint XS = TP + 2u;                       // staged pixels a row, with the halo
// Channels staged at a time, also the staged rows' pixel stride (rows of
// a tile 16-byte aligned): the staging and C stay within 32 KB of shared
// memory (lavapipe's), binary16 (3*66*32*2 + 64*68*4 bytes) or fp32.
#ifdef COOP
const uint KC = 32u;
#else
const uint KC = 16u;
#endif
const uint CST = COUTP + 4u;                   // C's row stride

#ifdef SRC_F16
#define SRC_T float16_t
#else
#define SRC_T float
#endif
#ifdef DST_F16
#define DST_T float16_t
#else
#define DST_T float
#endif

layout(std430, binding = 0) writeonly buffer Out { DST_T o[]; };
layout(std430, binding = 1) readonly buffer Wt { float16_t wt[]; }; // [9][CINP][COUTP]
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) readonly buffer A { SRC_T a[]; };
layout(std430, binding = 4) readonly buffer B { SRC_T b[]; };
layout(std430, binding = 5) readonly buffer M { SRC_T m[]; };
layout(std430, binding = 6) readonly buffer R { float res[]; };

layout(push_constant) uniform P {
    uint W, H, N;
    uint ca, cb, cm;
    uint cout;
    uint cinp;         // input channels padded to 16
    uint act;
    uint useRes;
    uint y0, rows;
    View va, vb, vm, vo, vr;
} p;

shared SH_T sa[3u * XS * KC];
shared float sc[TP * CST];

// Input channel ic at (x, y): zero outside the image and past the channels.
float src(uint n, uint ic, int x, int y) {
    if (y < 0 || y >= int(p.H) || x < 0 || x >= int(p.W)) return 0.0;
    if (ic < p.ca) return float(a[at(p.va, n, ic, uint(y), p.W) + uint(x)]);
    ic -= p.ca;
    if (ic < p.cb) return float(b[at(p.vb, n, ic, uint(y), p.W) + uint(x)]);
    ic -= p.cb;
    if (ic < p.cm) return float(m[at(p.vm, n, ic, uint(y), p.W) + uint(x)]);
    return 0.0;
}

void main() {
    uint n = gl_WorkGroupID.z, y = p.y0 + gl_WorkGroupID.y;
    int x0 = int(gl_WorkGroupID.x * TP);
    uint lid = gl_LocalInvocationIndex;
#ifdef COOP_NV
    uint g = gl_SubgroupID; // 32-wide subgroups: one per 16-pixel tile
    fcoopmatNV<32, gl_ScopeSubgroup, 16, 16> acc[NT];
    [[unroll]] for (uint t = 0; t < NT; t++) acc[t] = fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>(0.0);
#elif defined(COOP_KHR)
    uint g = gl_SubgroupID; // one per TE-pixel tile
    coopmat<float, gl_ScopeSubgroup, TE, TE, gl_MatrixUseAccumulator> acc[NT];
    [[unroll]] for (uint t = 0; t < NT; t++) acc[t] = coopmat<float, gl_ScopeSubgroup, TE, TE, gl_MatrixUseAccumulator>(0.0);
#else
    // Emulation: invocation lane of group g owns row lane/2 of the tile and
    // eight of each 16-channel tile's columns.
    uint g = lid / 32u, lane = lid % 32u, row = lane / 2u, col = (lane % 2u) * 8u;
    float acc[NT][8];
    [[unroll]] for (uint t = 0; t < NT; t++)
        [[unroll]] for (uint j = 0; j < 8u; j++) acc[t][j] = 0.0;
#endif
    for (uint c0 = 0; c0 < p.cinp; c0 += KC) {
        if (c0 > 0u) barrier(); // every group is done with the last chunk
        uint kc = min(KC, p.cinp - c0);
        // Consecutive invocations read consecutive pixels of a row.
        for (uint i = lid; i < 3u * XS * kc; i += gl_WorkGroupSize.x) {
            uint x = i % XS, rc = i / XS, r = rc % 3u, c = rc / 3u;
            float v = src(n, c0 + c, x0 + int(x) - 1, int(y + r) - 1);
            sa[(r * XS + x) * KC + c] = HALF(v); // binary16, as the tiles take it
        }
        barrier();
        // Tap (ky, kx): the tile's pixels px read staged pixel px + kx of row ky.
        for (uint tap = 0; tap < 9u; tap++) {
            uint base = ((tap / 3u) * XS + g * TE + tap % 3u) * KC;
            uint wrow = tap * p.cinp + c0;
            for (uint s = 0; s < kc; s += TE) {
#ifdef COOP_NV
                fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> ma;
                coopMatLoadNV(ma, sa, base + s, KC, false);
                [[unroll]] for (uint t = 0; t < NT; t++) {
                    fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> mb;
                    coopMatLoadNV(mb, wt, (wrow + s) * COUTP + t * 16u, COUTP, false);
                    acc[t] = coopMatMulAddNV(ma, mb, acc[t]);
                }
#elif defined(COOP_KHR)
                coopmat<float16_t, gl_ScopeSubgroup, TE, TE, gl_MatrixUseA> ma;
                coopMatLoad(ma, sa, base + s, KC, gl_CooperativeMatrixLayoutRowMajor);
                [[unroll]] for (uint t = 0; t < NT; t++) {
                    coopmat<float16_t, gl_ScopeSubgroup, TE, TE, gl_MatrixUseB> mb;
                    coopMatLoad(mb, wt, (wrow + s) * COUTP + t * TE, COUTP, gl_CooperativeMatrixLayoutRowMajor);
                    acc[t] = coopMatMulAdd(ma, mb, acc[t]);
                }
#else
                for (uint kk = s; kk < s + 16u; kk++) {
                    float av = sa[base + row * KC + kk];
                    uint wi = (wrow + kk) * COUTP + col;
                    [[unroll]] for (uint t = 0; t < NT; t++)
                        [[unroll]] for (uint j = 0; j < 8u; j++) acc[t][j] += av * float(wt[wi + t * 16u + j]);
                }
#endif
            }
        }
    }
#ifdef COOP_NV
    [[unroll]] for (uint t = 0; t < NT; t++) coopMatStoreNV(acc[t], sc, g * 16u * CST + t * 16u, CST, false);
#elif defined(COOP_KHR)
    [[unroll]] for (uint t = 0; t < NT; t++)
        coopMatStore(acc[t], sc, g * TE * CST + t * TE, CST, gl_CooperativeMatrixLayoutRowMajor);
#else
    [[unroll]] for (uint t = 0; t < NT; t++)
        [[unroll]] for (uint j = 0; j < 8u; j++) sc[(g * 16u + row) * CST + t * 16u + col + j] = acc[t][j];
#endif
    barrier();
    // Epilogue: consecutive invocations take consecutive pixels of a channel.
    for (uint i = lid; i < TP * p.cout; i += gl_WorkGroupSize.x) {
        uint px = i % TP, oc = i / TP;
        uint x = uint(x0) + px;
        if (x >= p.W) continue;
        float v = activate(sc[px * CST + oc] + bias[oc], p.act);
        if (p.useRes != 0u) v += res[at(p.vr, n, oc, y, p.W) + x];
        o[at(p.vo, n, oc, y, p.W) + x] = DST_T(v);
    }
}
