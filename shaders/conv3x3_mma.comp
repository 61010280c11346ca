#version 450
// 3x3 convolution as an implicit GEMM on matrix tiles, nine shifted GEMMs:
// out[px][oc] = sum over taps (ky, kx) and input channels ic of
// in[ic][y+ky-1][px+kx-1] * B[ky*3+kx][ic][oc], B the weights packed as
// binary16 [9][COUTP][CINP], each tap's matrix column by column (input
// channels padded to CINP, output channels to COUTP, multiples of 16; zero
// in the padding). A workgroup computes 64 adjacent pixels of one row. It
// stages the three input rows they read, 66 pixels with the halo, as
// [row][x][channel] in shared memory, KC channels at a time: each input
// value is read from memory once per workgroup, and the A tile of a tap
// is the staged block shifted by ky rows and kx pixels, loaded straight
// from shared memory. A staged pixel takes KC + KC/4
// channels' room: rows of a tile then fall in distinct banks (80 bytes apart
// in binary16, 20 words in fp32), and so do the staging stores, whose
// invocations take eight consecutive pixels of four consecutive channels.
// Loads are clamped into the row; binary16 sources are stored as they came
// and the edge workgroups then zero the pixels outside the image, fp32
// ones are zeroed (and split) value by value.
// Products are binary16, sums fp32; the epilogue (bias, activation,
// residual) goes through shared memory, up to 32 channels at a time, so
// that stores are along x.
// COOP_KHR does the tile products with VK_KHR_cooperative_matrix (tensor
// cores, matrix cores, XMX) on tiles of the shape the device offers: TM
// pixels by TK input channels times TK by TN output channels, each 8 or 16
// (16x16x16 on NVIDIA and AMD, 8x8x16 or 8x16x16 on Intel, 8x8x8 on
// lavapipe); COOP_NV with VK_NV_cooperative_matrix, for drivers without
// the KHR extension (16x16x16). A subgroup computes MT tiles of TM pixels
// for all output channels, so each B tile it loads serves MT products. Without either, groups of 32 invocations emulate the
// 16x16 tile products with scalar fp32 arithmetic, one tile of pixels a
// group: the same staging, packing and epilogue.
// With split (layers of few input channels that need fp32 accuracy), each
// input value x and weight w enters as two binary16 halves, x = xh + xl,
// w = wh + wl, and the tiles sum xh*wh + xl*wh + xh*wl: the staged channels
// are [xh | xl | xh], the packed weight rows [wh | wh | wl], so the error
// is about xl*wl, 2^-22 relative, for three times the channels.
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
#ifdef COOP
#ifdef COOP_KHR
layout(constant_id = 1) const uint TM = 16;    // the tile's pixels, 8 or 16
layout(constant_id = 4) const uint TN = 16;    // its output channels, 8 or 16
layout(constant_id = 5) const uint TK = 16;    // its input channels, 8 or 16
#else
const uint TM = 16u, TN = 16u, TK = 16u;
#endif
// Pixel tiles a subgroup; the workgroup has 64 / (TM * MT) subgroups, so
// the host sets its invocations from the device's subgroup size.
layout(constant_id = 3) const uint MT = 1;
layout(local_size_x_id = 2, local_size_y = 1, local_size_z = 1) in;
#else
const uint TM = 16u, TN = 16u, TK = 16u, MT = 1u;
layout(local_size_x = 128, local_size_y = 1, local_size_z = 1) in;
#endif
const uint NT = COUTP / TN;                    // TN-channel tiles
const uint TP = 64u;                           // pixels per workgroup
const uint XS = TP + 2u;                       // staged pixels a row, with the halo
// Channels staged at a time, and the staged pixels' stride (16-byte rows
// for the tiles; see the top). The staging and C stay within 32 KB of
// shared memory (lavapipe's): 3*66*40*2 + 64*36*4 bytes in binary16,
// 3*66*20*4 + 64*36*4 in fp32.
#ifdef COOP
const uint KC = 32u;
#else
const uint KC = 16u;
#endif
const uint XST = KC + KC / 4u;
const uint CH = COUTP < 32u ? COUTP : 32u;     // channels an epilogue pass
const uint CST = CH + 4u;                      // C's row stride

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
#ifdef COOP
layout(std430, binding = 1) readonly buffer Wt { float16_t wt[]; }; // [9][COUTP][CINP]
#else
// The emulation reads two binary16 weights (consecutive input channels) a
// load: on llvmpipe each load is a loop over the SIMD lanes.
layout(std430, binding = 1) readonly buffer Wt { uint wt2[]; };
#endif
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
    uint split;        // the input channels when split in two halves, else 0
    uint y0, rows;
    View va, vb, vm, vo, vr;
} p;

shared SH_T sa[3u * XS * XST];
shared float sc[TP * CST];

// Where input channel ic of image row y lies: its source (0-2; 3 for the
// zero padding above and below the image and past the channels) and the
// row's start.
uvec2 rowAt(uint n, uint ic, int y) {
    if (y < 0 || y >= int(p.H)) return uvec2(3u, 0u);
    if (ic < p.ca) return uvec2(0u, at(p.va, n, ic, uint(y), p.W));
    ic -= p.ca;
    if (ic < p.cb) return uvec2(1u, at(p.vb, n, ic, uint(y), p.W));
    ic -= p.cb;
    if (ic < p.cm) return uvec2(2u, at(p.vm, n, ic, uint(y), p.W));
    return uvec2(3u, 0u);
}

// Pixels x0 - 1 + sx + 8k (k < SK) of a staged row, the halo included.
#ifdef COOP
#define RAW_T SRC_T
#else
#define RAW_T float // (the emulation declares no binary16 arithmetic)
#endif
const uint SK = (XS + 7u) / 8u;

// The staging's loads of one chunk: an invocation's channels (CJ, the
// workgroup's invocations being 8 CL), rows and pixels, raw.
const uint CL = gl_WorkGroupSize.x / 8u;
const uint CJ = (KC + CL - 1u) / CL;
// Channels whose loads are held at once (constant_id 6, the host's HOLD):
// 4 (108 values) where subgroups are 32 wide or more, 2 on narrower ones
// (Intel's 8 or 16, lavapipe's 8), whose invocations stage more channels
// each: on lavapipe's 16x16x16 tiles all 16 at once made the tests 6x
// slower, 4 2x, 2 1.2x. Fewer at once cost RDNA3's estimate 1.9x.
layout(constant_id = 6) const uint HOLD = 4;
const uint CG = CJ < HOLD ? CJ : HOLD;
RAW_T staged[CG * 3u * SK];
// The pixels an invocation loads of every row it stages, clamped into the
// row: the same for all (computed once, not at each load).
uint xoff[SK];

// loadRow loads staged pixels sx + 8k of one row into staged[at + k],
// clamped into the row, from the row's source chosen once. A group's loads
// (HOLD channels) are all issued before any is converted: a load waited
// for where it is issued (under a branch of its own, or converted there)
// left the tile kernels' staging waiting on each (RADV's compiler: an
// estimated 3.4x the latency a wave, vkpercept kernels).
void loadRow(uvec2 row, uint at) {
    uint i0 = row.y;
    if (row.x == 0u) {
        [[unroll]] for (uint k = 0; k < SK; k++) staged[at + k] = RAW_T(a[i0 + xoff[k]]);
    } else if (row.x == 1u) {
        [[unroll]] for (uint k = 0; k < SK; k++) staged[at + k] = RAW_T(b[i0 + xoff[k]]);
    } else if (row.x == 2u) {
        [[unroll]] for (uint k = 0; k < SK; k++) staged[at + k] = RAW_T(m[i0 + xoff[k]]);
    } else {
        [[unroll]] for (uint k = 0; k < SK; k++) staged[at + k] = RAW_T(0.0);
    }
}

// STAGE is a loaded value as the tiles take it: binary16 (as it is, where
// the source is binary16 and the tiles' type too).
#if defined(COOP) && defined(SRC_F16)
#define STAGE(v) (v)
#else
#define STAGE(v) HALF(float(v))
#endif

// stagedChannel is the input channel staged channel ch of the chunk holds,
// and its part: split's staged channel k is input channel k % split,
// rounded to binary16 (k < split, or 2 split <= k < 3 split) or what that
// rounding left (part 1: split <= k < 2 split); past 3 split, zero (a
// channel past the sources).
uvec2 stagedChannel(uint ch) {
    if (p.split == 0u) return uvec2(ch, 0u);
    uint part = ch / p.split;
    return uvec2(part < 3u ? ch % p.split : p.ca + p.cb + p.cm, part);
}

void main() {
    uint n = gl_WorkGroupID.z, y = p.y0 + gl_WorkGroupID.y;
    int x0 = int(gl_WorkGroupID.x * TP);
    uint lid = gl_LocalInvocationIndex;
#ifdef COOP_NV
    uint g = gl_SubgroupID; // 32-wide subgroups
    fcoopmatNV<32, gl_ScopeSubgroup, 16, 16> acc[MT * NT];
    [[unroll]] for (uint t = 0; t < MT * NT; t++) acc[t] = fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>(0.0);
#elif defined(COOP_KHR)
    uint g = gl_SubgroupID;
    coopmat<float, gl_ScopeSubgroup, TM, TN, gl_MatrixUseAccumulator> acc[MT * NT];
    [[unroll]] for (uint t = 0; t < MT * NT; t++) acc[t] = coopmat<float, gl_ScopeSubgroup, TM, TN, gl_MatrixUseAccumulator>(0.0);
#endif
#ifdef COOP
    // Subgroups past the workgroup's tiles (a driver that runs smaller
    // subgroups than it reports, where the size cannot be required) only
    // stage and store.
    bool tiled = g * MT * TM < TP;
#else
    const bool tiled = true;
    // Emulation: lane of group g computes the tile's pixels pr .. pr + 3 for
    // output channels cc + 8q (q < 2 NT), so that a staged value it loads
    // serves 2 NT products and a weight word 8. With one pixel a lane and
    // one weight a load, each weight served one product, and the emulated
    // golden tests took 2.1x as long (lavapipe: a load is a loop over lanes).
    uint g = lid / 32u, lane = lid % 32u, pr = (lane / 8u) * 4u, cc = lane % 8u;
    float acc[2u * NT][4];
    [[unroll]] for (uint q = 0; q < 2u * NT; q++)
        [[unroll]] for (uint i = 0; i < 4u; i++) acc[q][i] = 0.0;
#endif
    // Staging: invocation lid takes pixels lid % 8 + 8k of channels lid / 8
    // + CL*j (the workgroup's invocations are a multiple of 8).
    uint sx = lid % 8u, scl = lid / 8u;
    // Only a row's last load can fall past the staged pixels.
    bool lastIn = sx + 8u * (SK - 1u) < XS;
    [[unroll]] for (uint k = 0; k < SK; k++) xoff[k] = uint(clamp(x0 - 1 + int(sx + 8u * k), 0, int(p.W) - 1));
    for (uint c0 = 0; c0 < p.cinp; c0 += KC) {
        uint kc = min(KC, p.cinp - c0);
        for (uint j0 = 0; j0 < CJ; j0 += CG) {
            // A group's loads first (channels past the chunk load its last
            // again)...
            [[unroll]] for (uint j = 0; j < CG; j++) {
                uint ch = stagedChannel(c0 + min(scl + (j0 + j) * CL, kc - 1u)).x;
                [[unroll]] for (uint r = 0; r < 3u; r++) loadRow(rowAt(n, ch, int(y + r) - 1), (j * 3u + r) * SK);
            }
            if (j0 == 0u && c0 > 0u) barrier(); // every group is done with the last chunk
            // ...then its stores, in binary16 as the tiles take them; split's
            // second part what that rounding left (rounded through
            // packHalf2x16: lavapipe folds float(float16_t(v)) to v).
            [[unroll]] for (uint j = 0; j < CG; j++) {
                uint c = scl + (j0 + j) * CL;
                if (c >= kc) break;
                [[unroll]] for (uint r = 0; r < 3u; r++) {
                    uint at0 = (r * XS + sx) * XST + c, src = (j * 3u + r) * SK;
#ifdef SRC_F16
                    // The values as they came (edges zeroed below): binary16
                    // sources are never split.
                    [[unroll]] for (uint k = 0; k < SK - 1u; k++) sa[at0 + 8u * k * XST] = STAGE(staged[src + k]);
                    if (lastIn) sa[at0 + 8u * (SK - 1u) * XST] = STAGE(staged[src + SK - 1u]);
#else
                    uint part = stagedChannel(c0 + c).y;
                    [[unroll]] for (uint k = 0; k < SK; k++) {
                        int x = x0 - 1 + int(sx + 8u * k);
                        if (sx + 8u * k >= XS) break;
                        float v = x >= 0 && x < int(p.W) ? float(staged[src + k]) : 0.0;
                        if (part == 1u) v -= unpackHalf2x16(packHalf2x16(vec2(v, 0.0))).x;
                        sa[at0 + 8u * k * XST] = HALF(v);
                    }
#endif
                }
            }
        }
#ifdef SRC_F16
        // Staged pixels outside the image hold clamped loads: zero them, in
        // the edge workgroups only (staged pixel i is x0 - 1 + i). A test
        // and a select on each value, with its conversion to fp32 and back,
        // had made 41% of a wave's vector instructions (RDNA3, vkpercept
        // kernels).
        uint lo = x0 == 0 ? 1u : 0u, hi = min(XS, p.W - uint(x0) + 1u);
        if (lo > 0u || hi < XS) {
            barrier(); // the stores above are done
            uint cols = lo + XS - hi;
            for (uint i = lid; i < 3u * cols * kc; i += gl_WorkGroupSize.x) {
                uint col = (i / kc) % cols, px = col < lo ? col : hi + col - lo;
                sa[((i / (kc * cols)) * XS + px) * XST + i % kc] = SH_T(0.0);
            }
        }
#endif
        barrier();
        // Tap (ky, kx): the tile's pixels px read staged pixel px + kx of row ky.
        for (uint tap = 0; tiled && tap < 9u; tap++) {
            uint base = ((tap / 3u) * XS + g * MT * TM + tap % 3u) * XST;
            // B's tiles from [tap][oc][ic]: an output channel's input
            // channels are consecutive, so a lane loads its part of a tile
            // in wide loads (from [tap][ic][oc], RADV's compiler made a
            // 16-bit load of each element).
            uint wcol = tap * COUTP * p.cinp + c0;
            for (uint s = 0; s < kc; s += TK) {
#ifdef COOP_NV
                fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> ma[MT];
                [[unroll]] for (uint i = 0; i < MT; i++) coopMatLoadNV(ma[i], sa, base + i * 16u * XST + s, XST, false);
                [[unroll]] for (uint t = 0; t < NT; t++) {
                    fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> mb;
                    coopMatLoadNV(mb, wt, wcol + t * 16u * p.cinp + s, p.cinp, true);
                    [[unroll]] for (uint i = 0; i < MT; i++) acc[i * NT + t] = coopMatMulAddNV(ma[i], mb, acc[i * NT + t]);
                }
#elif defined(COOP_KHR)
                coopmat<float16_t, gl_ScopeSubgroup, TM, TK, gl_MatrixUseA> ma[MT];
                [[unroll]] for (uint i = 0; i < MT; i++)
                    coopMatLoad(ma[i], sa, base + i * TM * XST + s, XST, gl_CooperativeMatrixLayoutRowMajor);
                [[unroll]] for (uint t = 0; t < NT; t++) {
                    coopmat<float16_t, gl_ScopeSubgroup, TK, TN, gl_MatrixUseB> mb;
                    coopMatLoad(mb, wt, wcol + t * TN * p.cinp + s, p.cinp, gl_CooperativeMatrixLayoutColumnMajor);
                    [[unroll]] for (uint i = 0; i < MT; i++) acc[i * NT + t] = coopMatMulAdd(ma[i], mb, acc[i * NT + t]);
                }
#else
                for (uint kk = s; kk < s + 16u; kk += 2u) {
                    float a0[4], a1[4];
                    [[unroll]] for (uint i = 0; i < 4u; i++) {
                        a0[i] = sa[base + (pr + i) * XST + kk];
                        a1[i] = sa[base + (pr + i) * XST + kk + 1u];
                    }
                    uint wi = (wcol + cc * p.cinp + kk) / 2u; // (kk, cinp even)
                    [[unroll]] for (uint q = 0; q < 2u * NT; q++) {
                        vec2 w = unpackHalf2x16(wt2[wi + 4u * q * p.cinp]);
                        [[unroll]] for (uint i = 0; i < 4u; i++) acc[q][i] += a0[i] * w.x;
                        [[unroll]] for (uint i = 0; i < 4u; i++) acc[q][i] += a1[i] * w.y;
                    }
                }
#endif
            }
        }
    }
    // Epilogue, CH channels at a time: the tiles go to C, then consecutive
    // invocations take consecutive pixels of a channel.
    [[unroll]] for (uint h = 0; h < COUTP / CH; h++) {
        if (h > 0u) barrier(); // the last pass has read C
        // Constant bounds, so that the loop unrolls and acc stays in registers.
#ifdef COOP
        [[unroll]] for (uint t = 0; t < NT; t++) {
            if (!tiled || t * TN / CH != h) continue;
            uint tc = t * TN - h * CH;
#ifdef COOP_NV
            [[unroll]] for (uint i = 0; i < MT; i++)
                coopMatStoreNV(acc[i * NT + t], sc, (g * MT + i) * 16u * CST + tc, CST, false);
#else
            [[unroll]] for (uint i = 0; i < MT; i++)
                coopMatStore(acc[i * NT + t], sc, (g * MT + i) * TM * CST + tc, CST, gl_CooperativeMatrixLayoutRowMajor);
#endif
        }
#else
        [[unroll]] for (uint q = 0; q < 2u * NT; q++) {
            uint oc = cc + 8u * q;
            if (oc / CH != h) continue;
            [[unroll]] for (uint i = 0; i < 4u; i++) sc[(g * 16u + pr + i) * CST + oc - h * CH] = acc[q][i];
        }
#endif
        barrier();
        uint oc0 = h * CH, ocn = min(p.cout, oc0 + CH);
        for (uint i = lid; i < TP * (ocn - min(ocn, oc0)); i += gl_WorkGroupSize.x) {
            uint px = i % TP, oc = oc0 + i / TP;
            uint x = uint(x0) + px;
            if (x >= p.W) continue;
            float v = activate(sc[px * CST + oc - oc0] + bias[oc], p.act);
            if (p.useRes != 0u) v += res[at(p.vr, n, oc, y, p.W) + x];
            o[at(p.vo, n, oc, y, p.W) + x] = DST_T(v);
        }
    }
}
