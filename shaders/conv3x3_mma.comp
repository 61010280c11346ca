#version 450
// 3x3 convolution as an implicit GEMM on 16x16x16 matrix tiles: out[px][oc]
// = sum_k A[px][k] B[k][oc], k = ic*9 + ky*3 + kx (the OIHW order), A the
// im2col of the sources, B the weights packed as binary16 [KP][COUTP] (zero
// past cin*9 and cout). A workgroup computes 64 adjacent pixels of one row:
// four groups of 32 invocations, each a 16-pixel tile by all COUTP channels,
// with binary16 products summed in fp32.
// COOP_KHR does the tile products with VK_KHR_cooperative_matrix (tensor
// cores, matrix cores) on square tiles of the edge the device offers (TE:
// 16 on GPUs, 8 on lavapipe), one subgroup per TE-pixel tile of the
// workgroup's 64. COOP_NV does them with VK_NV_cooperative_matrix, for
// drivers without the KHR extension: 16x16x16 tiles, 32-wide subgroups.
// Without either, each group's invocations emulate the 16x16 tile products
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
#ifdef COOP
const uint KC = 64u;                           // k per staged chunk
#else
const uint KC = 32u;                           // fp32 staging: within 32 KB of shared memory
#endif
const uint AST = KC + 8u;                      // A's row stride (16-byte rows, fewer bank conflicts)
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
layout(std430, binding = 1) readonly buffer Wt { float16_t wt[]; }; // [KP][COUTP]
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) readonly buffer A { SRC_T a[]; };
layout(std430, binding = 4) readonly buffer B { SRC_T b[]; };
layout(std430, binding = 5) readonly buffer M { SRC_T m[]; };
layout(std430, binding = 6) readonly buffer R { float res[]; };

layout(push_constant) uniform P {
    uint W, H, N;
    uint ca, cb, cm;
    uint cout;
    uint kp;           // k padded to 16
    uint act;
    uint useRes;
    uint y0, rows;
    View va, vb, vm, vo, vr;
} p;

shared SH_T sa[TP * AST];
shared float sc[TP * CST];

// Element k of pixel (x, y)'s im2col row: zero padding and past cin*9.
float im2col(uint n, uint k, int x, int y) {
    uint ic = k / 9u, t = k - ic * 9u;
    int yy = y + int(t / 3u) - 1, xx = x + int(t % 3u) - 1;
    if (yy < 0 || yy >= int(p.H) || xx < 0 || xx >= int(p.W)) return 0.0;
    if (ic < p.ca) return float(a[at(p.va, n, ic, uint(yy), p.W) + uint(xx)]);
    ic -= p.ca;
    if (ic < p.cb) return float(b[at(p.vb, n, ic, uint(yy), p.W) + uint(xx)]);
    ic -= p.cb;
    if (ic < p.cm) return float(m[at(p.vm, n, ic, uint(yy), p.W) + uint(xx)]);
    return 0.0;
}

void main() {
    uint n = gl_WorkGroupID.z, y = p.y0 + gl_WorkGroupID.y;
    int x0 = int(gl_WorkGroupID.x * TP);
    uint lid = gl_LocalInvocationIndex;
    uint kin = (p.ca + p.cb + p.cm) * 9u;
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
    for (uint k0 = 0; k0 < p.kp; k0 += KC) {
        if (k0 > 0u) barrier(); // every group is done with the last chunk
        uint kc = min(KC, p.kp - k0);
        for (uint i = lid; i < TP * kc; i += gl_WorkGroupSize.x) {
            uint px = i % TP, kk = i / TP, k = k0 + kk;
            float v = k < kin ? im2col(n, k, x0 + int(px), int(y)) : 0.0;
            sa[px * AST + kk] = SH_T(HALF(v)); // binary16, as the tiles take it
        }
        barrier();
        for (uint s = 0; s < kc; s += TE) {
#ifdef COOP_NV
            fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> ma;
            coopMatLoadNV(ma, sa, g * 16u * AST + s, AST, false);
            [[unroll]] for (uint t = 0; t < NT; t++) {
                fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> mb;
                coopMatLoadNV(mb, wt, (k0 + s) * COUTP + t * 16u, COUTP, false);
                acc[t] = coopMatMulAddNV(ma, mb, acc[t]);
            }
#elif defined(COOP_KHR)
            coopmat<float16_t, gl_ScopeSubgroup, TE, TE, gl_MatrixUseA> ma;
            coopMatLoad(ma, sa, g * TE * AST + s, AST, gl_CooperativeMatrixLayoutRowMajor);
            [[unroll]] for (uint t = 0; t < NT; t++) {
                coopmat<float16_t, gl_ScopeSubgroup, TE, TE, gl_MatrixUseB> mb;
                coopMatLoad(mb, wt, (k0 + s) * COUTP + t * TE, COUTP, gl_CooperativeMatrixLayoutRowMajor);
                acc[t] = coopMatMulAdd(ma, mb, acc[t]);
            }
#else
            for (uint kk = s; kk < s + 16u; kk++) {
                float av = sa[(g * 16u + row) * AST + kk];
                uint wrow = (k0 + kk) * COUTP + col;
                [[unroll]] for (uint t = 0; t < NT; t++)
                    [[unroll]] for (uint j = 0; j < 8u; j++) acc[t][j] += av * float(wt[wrow + t * 16u + j]);
            }
#endif
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
