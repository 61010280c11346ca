#version 450
// 3x3 convolution, stride 1, zero padding 1, over the channel concatenation of
// up to three sources (so MILO's [ref, dist, mask] needs no concat pass), with
// bias, fused activation and an optional residual added after it. It computes
// image rows [y0, y0+rows) of an image H rows high; every tensor is a view
// (view.glsl), so whole tensors and row bands of a tiled pass use one shader.
// Rows outside [0, H) are the zero padding; a band's inputs must hold rows
// y0-1 .. y0+rows within the image.
// One invocation computes a register tile of PX horizontally adjacent pixels
// by PY rows by OCB output channels: each weight load serves PX*PY pixels
// and each input load up to 3*OCB multiply-adds per output row it reaches.
// With PY > 1 an input channel's 9*OCB weights are loaded once into
// registers and every input row is loaded once for all the rows it feeds
// (CPU drivers, where each load costs a scalar load per SIMD lane); with
// PY = 1 (GPUs) the weights are loaded where they are used, as before.
// LANE_ROT (CPU drivers, subgroups of 8 or more lanes, OCB a multiple of 8)
// loads a weight for each of 8 channels in one load, one per lane, and
// shuffles them round the lanes: on llvmpipe a load of the same weight by
// every lane is still a scalar load per lane, a shuffle one permute.
// Variants (kernels.Conv3x3.Shader): SRC_F16 reads the sources from 16-bit
// storage, DST_F16 writes the output to it. MATH_F16 multiplies and sums each
// input channel's nine taps in binary16 (shaderFloat16; twice the rate of fp32
// on most GPUs) and accumulates the channels in fp32, where the long sums are.
#extension GL_EXT_shader_16bit_storage : enable
#ifdef MATH_F16
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#define MATH_T float16_t
#else
#define MATH_T float
#endif
#ifdef LANE_ROT
#extension GL_KHR_shader_subgroup_shuffle : require
#endif
#if defined(LANE_ROT) || defined(LOAD64)
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#endif
#include "common.glsl"
#include "view.glsl"

// Rows of invocations a workgroup has (constant_id 7): 8 on GPUs; 2 on CPU
// drivers, which run a workgroup's SIMD chunks one after another on one
// thread (the big convolutions' best times 1.05-1.07x better on lavapipe).
layout(local_size_x = 8, local_size_y_id = 7, local_size_z = 1) in;
layout(constant_id = 0) const uint OCB = 8;
layout(constant_id = 1) const uint PX = 8;
layout(constant_id = 2) const uint WV = 4096; // vec4s in the weights' uniform block
layout(constant_id = 3) const uint PY = 1;
// Floats per output and input channel's nine weights: 10 (padded) on
// devices that run the rotated shaders, which need it, else 9.
layout(constant_id = 4) const uint KS = 9;
// The activation and whether a residual is added, as specialization
// constants: CPU drivers run both sides of a branch on a push constant.
layout(constant_id = 5) const uint ACT = 0;
layout(constant_id = 6) const uint USE_RES = 0; // add res (cout channels) after the activation
#if defined(LANE_ROT) || defined(LOAD64)
const bool PRELOAD = true; // (LOAD64 without LANE_ROT: tiles of PY > 1 only)
#else
const bool PRELOAD = PY > 1u; // an input channel's weights loaded once, into registers
#endif

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

#ifdef TEXEL4
// With texel sources (CPU drivers) a tile row of PX (8) outputs is stored
// at once: on llvmpipe a store is a loop over the lanes, and one wide store
// pays for the loop once (the first layer, 7->32, 1.3x). The host picks it
// where output rows start on multiples of 8 elements.
#define STORE_WIDE
#endif
#ifdef LOAD64
// The output in 64-bit words of EO elements (its rows start on words too;
// STORE_WIDE: PX / EO words at once).
#ifdef DST_F16
#define EO 4u
#else
#define EO 2u
#endif
#ifdef STORE_WIDE
#ifdef DST_F16
layout(std430, binding = 0) writeonly buffer Out { u64vec2 o[]; };
#else
layout(std430, binding = 0) writeonly buffer Out { u64vec4 o[]; };
#endif
#else
layout(std430, binding = 0) writeonly buffer Out { uint64_t o[]; };
#endif
#else
layout(std430, binding = 0) writeonly buffer Out { DST_T o[]; };
#endif
// One chunk of output channels' weights (OIHW) and biases, small enough for
// a uniform buffer: every invocation of a workgroup reads the same weight at
// the same time, which uniform buffers broadcast (lavapipe: 1.3x the storage
// buffer's speed).
#ifdef LANE_ROT
// Each channel pair's nine weights padded to ten, read two at a time in
// 64-bit words (a load costs the same whatever its width on llvmpipe).
layout(std140, binding = 1) uniform Wt { u64vec2 wt64[WV]; };
vec2 WT2(uint i) { return uintBitsToFloat(unpackUint2x32(wt64[i >> 2][(i >> 1) & 1u])); }
float WT(uint i) { return WT2(i & ~1u)[i & 1u]; }
#else
layout(std140, binding = 1) uniform Wt { vec4 wt4[WV]; };
#define WT(i) wt4[(i) >> 2][(i) & 3u]
#endif
#ifdef LOAD64
// The sources as 64-bit words of EW elements each: on llvmpipe every load
// is a scalar load per SIMD lane, whatever its width, so a 64-bit load
// brings two fp32 or four binary16 elements for the price of one. The
// host picks this form only where every row starts on a word.
#ifdef TEXEL4
// TEXEL4: the sources as texel buffers of 128-bit texels (four fp32 in
// rgba32f, or eight binary16 in rgba32ui with SRC_F16; the host picks it
// where rows start on a texel).
// llvmpipe fetches a texel for all SIMD lanes in vector code, where a
// storage-buffer load is a loop over the lanes: 1.15-1.25x the _w64 speed.
#ifdef SRC_F16
// Binary16 sources in texels of eight (rgba32ui, 128 bits): 3 fetches a
// tile row instead of 4 with rgba16f (the 64->32 kernel 1.02-1.1x).
#define EW 8
layout(binding = 2) uniform usamplerBuffer a;
layout(binding = 3) uniform usamplerBuffer b;
layout(binding = 4) uniform usamplerBuffer m;
#else
#define EW 4
layout(binding = 2) uniform samplerBuffer a;
layout(binding = 3) uniform samplerBuffer b;
layout(binding = 4) uniform samplerBuffer m;
#endif
#else
#ifdef SRC_F16
#define EW 4
#else
#define EW 2
#endif
layout(std430, binding = 2) readonly buffer A { uint64_t a[]; };
layout(std430, binding = 3) readonly buffer B { uint64_t b[]; };
layout(std430, binding = 4) readonly buffer M { uint64_t m[]; };
#endif
#else
layout(std430, binding = 2) readonly buffer A { SRC_T a[]; };
layout(std430, binding = 3) readonly buffer B { SRC_T b[]; };
layout(std430, binding = 4) readonly buffer M { SRC_T m[]; };
#endif
layout(std430, binding = 5) readonly buffer R { float res[]; };

layout(push_constant) uniform P {
    uint W, H, N;
    uint ca, cb, cm;   // channels taken from a, b, m (cb, cm may be 0)
    uint cout;         // output channels of this dispatch (one weights chunk)
    uint ocBase;       // its first output channel in the output tensor
    uint bOff;         // offset of the biases in the chunk
    uint y0, rows;     // output image rows
    View va, vb, vm, vo, vr;
} p;

float acc[PY][PX][OCB];

#ifdef LOAD64
// One tile row's words or texels, unpacked (a global: arrays sized by
// specialization constants cannot be passed to functions).
float wv[PX + 2u * EW];
#endif

#ifdef TEXEL4
// fetch writes texel i's EW elements to wv[k * EW ...].
void fetch(uint src, uint i, uint k) {
#ifdef SRC_F16
    uvec4 t = src == 0u ? texelFetch(a, int(i)) : src == 1u ? texelFetch(b, int(i)) : texelFetch(m, int(i));
    [[unroll]] for (uint c = 0; c < 4u; c++) {
        vec2 h = unpackHalf2x16(t[c]);
        wv[k * 8u + 2u * c] = h.x, wv[k * 8u + 2u * c + 1u] = h.y;
    }
#else
    vec4 t = src == 0u ? texelFetch(a, int(i)) : src == 1u ? texelFetch(b, int(i)) : texelFetch(m, int(i));
    wv[k * 4u] = t.x, wv[k * 4u + 1u] = t.y, wv[k * 4u + 2u] = t.z, wv[k * 4u + 3u] = t.w;
#endif
}
#elif defined(LOAD64)
uint64_t word(uint src, uint i) {
    if (src == 0u) return a[i];
    if (src == 1u) return b[i];
    return m[i];
}

// unpack64 writes word w's EW elements to wv[k * EW ...].
void unpack64(uint64_t w, uint k) {
    uvec2 u = unpackUint2x32(w);
#ifdef SRC_F16
    vec2 lo = unpackHalf2x16(u.x), hi = unpackHalf2x16(u.y);
    wv[k * 4u] = lo.x, wv[k * 4u + 1u] = lo.y, wv[k * 4u + 2u] = hi.x, wv[k * 4u + 3u] = hi.y;
#else
    wv[k * 2u] = uintBitsToFloat(u.x), wv[k * 2u + 1u] = uintBitsToFloat(u.y);
#endif
}
#else
MATH_T load(uint src, uint idx) {
    if (src == 0u) return MATH_T(a[idx]);
    if (src == 1u) return MATH_T(b[idx]);
    return MATH_T(m[idx]);
}
#endif

void addSource(uint src, View v, uint cin, uint icBase, uint n, int x0, int y, uint oc0, uint cinTotal) {
    uint wstride = cinTotal * KS;
    // The last input row a band holds: rows of a partial tile past the band
    // are computed but not stored, and must not read past it.
    int yLast = int(p.y0 + p.rows);
    for (uint ic = 0; ic < cin; ic++) {
#ifdef MATH_F16
        float16_t part[PY][PX][OCB];
        [[unroll]] for (uint r = 0; r < PY; r++)
            [[unroll]] for (uint q = 0; q < PX; q++)
                [[unroll]] for (uint j = 0; j < OCB; j++) part[r][q][j] = float16_t(0.0);
#define SUM part
#else
#define SUM acc
#endif
        uint wi = (oc0 * cinTotal + icBase + ic) * KS;
        if (PRELOAD) {
            MATH_T wk[9][OCB];
#ifdef LANE_ROT
            // One load per 8 channels: lane l loads channel 8*jb + l's weight,
            // and slot s of lane l takes it from lane (l + s) % 8, so the
            // lane's sums of slot s belong to channel 8*jb + (l + s) % 8.
            uint lane = gl_SubgroupInvocationID;
            [[unroll]] for (uint jb = 0; jb < OCB / 8u; jb++) {
                uint wj = wi + min(jb * 8u + lane, p.cout - 1u - oc0) * wstride;
                [[unroll]] for (uint k = 0; k < 9u; k += 2u) {
                    vec2 g = WT2(wj + k);
                    [[unroll]] for (uint s = 0; s < 8u; s++) {
                        wk[k][jb * 8u + s] = MATH_T(subgroupShuffle(g.x, (lane + s) & 7u));
                        if (k < 8u) wk[k + 1u][jb * 8u + s] = MATH_T(subgroupShuffle(g.y, (lane + s) & 7u));
                    }
                }
            }
#else
            [[unroll]] for (uint j = 0; j < OCB; j++) {
                uint wj = wi + min(j, p.cout - 1u - oc0) * wstride;
                [[unroll]] for (uint k = 0; k < 9u; k++) wk[k][j] = MATH_T(WT(wj + k));
            }
#endif
            // Every load first, unconditionally (clamped in range, zeroed
            // after), then straight-line sums: no control flow round them.
            MATH_T tv[PY + 2][PX + 2];
            int yLo = max(int(p.y0) - 1, 0), yHi = min(int(p.H) - 1, yLast);
            [[unroll]] for (int ir = 0; ir < int(PY) + 2; ir++) {
                int yy = y + ir - 1;
                bool rowIn = yy >= 0 && yy < int(p.H) && yy <= yLast;
                uint row = at(v, n, ic, uint(clamp(yy, yLo, yHi)), p.W);
#ifdef LOAD64
                // Words (texels) from the one holding x0 - EW on, each clamped into the row.
                int w0 = int(row + uint(x0)) / EW - 1, wLo = int(row) / EW, wHi = int(row + p.W) / EW - 1;
                [[unroll]] for (uint k = 0; k < PX / EW + 2u; k++) {
                    uint wa = uint(clamp(w0 + int(k), wLo, wHi));
#ifdef TEXEL4
                    fetch(src, wa, k);
#else
                    unpack64(word(src, wa), k);
#endif
                }
                [[unroll]] for (int i = 0; i < int(PX) + 2; i++) {
                    int xx = x0 + i - 1;
                    tv[ir][i] = (rowIn && xx >= 0 && xx < int(p.W)) ? MATH_T(wv[i + EW - 1]) : MATH_T(0.0);
                }
#else
                [[unroll]] for (int i = 0; i < int(PX) + 2; i++) {
                    int xx = x0 + i - 1;
                    MATH_T t = load(src, row + uint(clamp(xx, 0, int(p.W) - 1)));
                    tv[ir][i] = (rowIn && xx >= 0 && xx < int(p.W)) ? t : MATH_T(0.0);
                }
#endif
            }
            [[unroll]] for (uint r = 0; r < PY; r++)
                [[unroll]] for (uint j = 0; j < OCB; j++)
                    [[unroll]] for (uint q = 0; q < PX; q++) {
                        MATH_T s = SUM[r][q][j];
                        [[unroll]] for (uint ky = 0; ky < 3u; ky++)
                            [[unroll]] for (uint kx = 0; kx < 3u; kx++) s += tv[r + ky][q + kx] * wk[ky * 3u + kx][j];
                        SUM[r][q][j] = s;
                    }
        }
#if !defined(LANE_ROT) && !defined(LOAD64)
        else {
            // A tile of one row (PY is 1 here, on GPUs): the weights are
            // loaded where they are used.
            [[unroll]] for (int ky = 0; ky < 3; ky++) {
                int yy = y + ky - 1;
                if (yy < 0 || yy >= int(p.H) || yy > yLast) continue;
                uint row = at(v, n, ic, uint(yy), p.W);
                MATH_T vals[PX + 2];
                [[unroll]] for (int i = 0; i < int(PX) + 2; i++) {
                    int xx = x0 + i - 1;
#if defined(SRC_F16) && !defined(MATH_F16)
                    // Binary16 loads converted to fp32: clamped into the row
                    // and zeroed after, not skipped. Under a branch, AMD's
                    // compiler waits for each inside it, where the value is
                    // converted (RDNA3: estimated latency 130k cycles, 30k
                    // so; vkpercept kernels). Other forms, whose loaded
                    // value leaves the branch as it is, keep the branch:
                    // there the clamp costs more than it saves.
                    MATH_T t = load(src, row + uint(clamp(xx, 0, int(p.W) - 1)));
                    vals[i] = (xx >= 0 && xx < int(p.W)) ? t : MATH_T(0.0);
#else
                    vals[i] = (xx >= 0 && xx < int(p.W)) ? load(src, row + uint(xx)) : MATH_T(0.0);
#endif
                }
                [[unroll]] for (uint j = 0; j < OCB; j++) {
                    if (oc0 + j >= p.cout) break;
                    uint wj = wi + j * wstride + uint(ky * 3);
                    MATH_T w0 = MATH_T(WT(wj)), w1 = MATH_T(WT(wj + 1u)), w2 = MATH_T(WT(wj + 2u));
                    [[unroll]] for (uint q = 0; q < PX; q++) {
                        SUM[0][q][j] += vals[q] * w0 + vals[q + 1] * w1 + vals[q + 2] * w2;
                    }
                }
            }
        }
#endif
#ifdef MATH_F16
        [[unroll]] for (uint r = 0; r < PY; r++)
            [[unroll]] for (uint q = 0; q < PX; q++)
                [[unroll]] for (uint j = 0; j < OCB; j++) acc[r][q][j] += float(part[r][q][j]);
#endif
    }
}

void main() {
    // Workgroups along x take the output-channel blocks of one tile in turn,
    // so that a tile's inputs are read again while still in cache (CPU
    // drivers run workgroups x first; on lavapipe 1.1x for two blocks).
    uint blocks = (p.cout + OCB - 1u) / OCB;
    uint x0 = ((gl_WorkGroupID.x / blocks) * gl_WorkGroupSize.x + gl_LocalInvocationID.x) * PX, ry = gl_GlobalInvocationID.y * PY;
    uint n = gl_WorkGroupID.z;
    uint oc0 = (gl_WorkGroupID.x % blocks) * OCB;
#ifdef LANE_ROT
    // Every lane takes part in the weights' shuffles; those past the edges
    // load nothing (the bounds checks below) and store nothing.
    bool live = x0 < p.W && ry < p.rows && n < p.N;
#else
    if (x0 >= p.W || ry >= p.rows || n >= p.N) return;
#endif
    uint y = p.y0 + ry;
    uint cinTotal = p.ca + p.cb + p.cm;
    [[unroll]] for (uint r = 0; r < PY; r++)
        [[unroll]] for (uint q = 0; q < PX; q++)
            [[unroll]] for (uint j = 0; j < OCB; j++) acc[r][q][j] = 0.0;
    addSource(0u, p.va, p.ca, 0u, n, int(x0), int(y), oc0, cinTotal);
    addSource(1u, p.vb, p.cb, p.ca, n, int(x0), int(y), oc0, cinTotal);
    addSource(2u, p.vm, p.cm, p.ca + p.cb, n, int(x0), int(y), oc0, cinTotal);
#ifdef LANE_ROT
    if (!live) return;
#endif
    [[unroll]] for (uint r = 0; r < PY; r++) {
        if (ry + r >= p.rows) break;
        [[unroll]] for (uint j = 0; j < OCB; j++) {
#ifdef LANE_ROT
            uint oc = oc0 + (j & ~7u) + ((gl_SubgroupInvocationID + j) & 7u);
            if (oc >= p.cout) continue;
#else
            uint oc = oc0 + j;
            if (oc >= p.cout) break;
#endif
            float bias = WT(p.bOff + oc);
            uint oi = at(p.vo, n, p.ocBase + oc, y + r, p.W) + x0;
            uint ri = at(p.vr, n, p.ocBase + oc, y + r, p.W) + x0;
#ifdef STORE_WIDE
            {
                uint64_t ws[PX / EO];
                [[unroll]] for (uint k = 0; k < PX / EO; k++) {
                    float v[EO];
                    [[unroll]] for (uint e = 0; e < EO; e++) {
                        v[e] = activate(acc[r][k * EO + e][j] + bias, ACT);
                        if (USE_RES != 0u) v[e] += res[ri + k * EO + e];
                    }
#ifdef DST_F16
                    ws[k] = packUint2x32(uvec2(packHalf2x16(vec2(v[0], v[1])), packHalf2x16(vec2(v[2], v[3]))));
#else
                    ws[k] = packUint2x32(uvec2(floatBitsToUint(v[0]), floatBitsToUint(v[1])));
#endif
                }
#ifdef DST_F16
                o[oi / 8u] = u64vec2(ws[0], ws[1]);
#else
                o[oi / 8u] = u64vec4(ws[0], ws[1], ws[2], ws[3]);
#endif
            }
#elif defined(LOAD64)
            [[unroll]] for (uint k = 0; k < PX / EO; k++) {
                if (x0 + k * EO >= p.W) break;
                float v[EO];
                [[unroll]] for (uint e = 0; e < EO; e++) {
                    v[e] = activate(acc[r][k * EO + e][j] + bias, ACT);
                    if (USE_RES != 0u) v[e] += res[ri + k * EO + e];
                }
#ifdef DST_F16
                o[oi / EO + k] = packUint2x32(uvec2(packHalf2x16(vec2(v[0], v[1])), packHalf2x16(vec2(v[2], v[3]))));
#else
                o[oi / EO + k] = packUint2x32(uvec2(floatBitsToUint(v[0]), floatBitsToUint(v[1])));
#endif
            }
#else
            [[unroll]] for (uint q = 0; q < PX; q++) {
                if (x0 + q >= p.W) break;
                float v = activate(acc[r][q][j] + bias, ACT);
                if (USE_RES != 0u) v += res[ri + q];
                o[oi + q] = DST_T(v);
            }
#endif
        }
    }
}
