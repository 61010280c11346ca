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
#include "common.glsl"
#include "view.glsl"

layout(local_size_x = 8, local_size_y = 8, local_size_z = 1) in;
layout(constant_id = 0) const uint OCB = 8;
layout(constant_id = 1) const uint PX = 8;
layout(constant_id = 2) const uint WV = 4096; // vec4s in the weights' uniform block
layout(constant_id = 3) const uint PY = 1;
#ifdef LANE_ROT
const bool PRELOAD = true;
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

layout(std430, binding = 0) writeonly buffer Out { DST_T o[]; };
// One chunk of output channels' weights (OIHW) and biases, small enough for
// a uniform buffer: every invocation of a workgroup reads the same weight at
// the same time, which uniform buffers broadcast (lavapipe: 1.3x the storage
// buffer's speed).
layout(std140, binding = 1) uniform Wt { vec4 wt4[WV]; };
#define WT(i) wt4[(i) >> 2][(i) & 3u]
layout(std430, binding = 2) readonly buffer A { SRC_T a[]; };
layout(std430, binding = 3) readonly buffer B { SRC_T b[]; };
layout(std430, binding = 4) readonly buffer M { SRC_T m[]; };
layout(std430, binding = 5) readonly buffer R { float res[]; };

layout(push_constant) uniform P {
    uint W, H, N;
    uint ca, cb, cm;   // channels taken from a, b, m (cb, cm may be 0)
    uint cout;         // output channels of this dispatch (one weights chunk)
    uint ocBase;       // its first output channel in the output tensor
    uint bOff;         // offset of the biases in the chunk
    uint act;
    uint useRes;       // add res (cout channels) after the activation
    uint y0, rows;     // output image rows
    View va, vb, vm, vo, vr;
} p;

float acc[PY][PX][OCB];

MATH_T load(uint src, uint idx) {
    if (src == 0u) return MATH_T(a[idx]);
    if (src == 1u) return MATH_T(b[idx]);
    return MATH_T(m[idx]);
}

void addSource(uint src, View v, uint cin, uint icBase, uint n, int x0, int y, uint oc0, uint cinTotal) {
    uint wstride = cinTotal * 9u;
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
        uint wi = (oc0 * cinTotal + icBase + ic) * 9u;
        MATH_T wk[9][OCB];
        if (PRELOAD) {
#ifdef LANE_ROT
            // One load per 8 channels: lane l loads channel 8*jb + l's weight,
            // and slot s of lane l takes it from lane (l + s) % 8, so the
            // lane's sums of slot s belong to channel 8*jb + (l + s) % 8.
            uint lane = gl_SubgroupInvocationID;
            [[unroll]] for (uint jb = 0; jb < OCB / 8u; jb++) {
                uint wj = wi + min(jb * 8u + lane, p.cout - 1u - oc0) * wstride;
                [[unroll]] for (uint k = 0; k < 9u; k++) {
                    float g = WT(wj + k);
                    [[unroll]] for (uint s = 0; s < 8u; s++) wk[k][jb * 8u + s] = MATH_T(subgroupShuffle(g, (lane + s) & 7u));
                }
            }
#else
            [[unroll]] for (uint j = 0; j < OCB; j++) {
                uint wj = wi + min(j, p.cout - 1u - oc0) * wstride;
                [[unroll]] for (uint k = 0; k < 9u; k++) wk[k][j] = MATH_T(WT(wj + k));
            }
#endif
        }
        [[unroll]] for (int ir = 0; ir < int(PY) + 2; ir++) {
            int yy = y + ir - 1;
            if (yy < 0 || yy >= int(p.H) || yy > yLast) continue;
            uint row = at(v, n, ic, uint(yy), p.W);
            MATH_T vals[PX + 2];
            [[unroll]] for (int i = 0; i < int(PX) + 2; i++) {
                int xx = x0 + i - 1;
                vals[i] = (xx >= 0 && xx < int(p.W)) ? load(src, row + uint(xx)) : MATH_T(0.0);
            }
            [[unroll]] for (int r = 0; r < int(PY); r++) {
                int ky = ir - r;
                if (ky < 0 || ky > 2) continue;
                [[unroll]] for (uint j = 0; j < OCB; j++) {
#ifndef LANE_ROT
                    if (oc0 + j >= p.cout) break;
#endif
                    MATH_T w0, w1, w2;
                    if (PRELOAD) {
                        w0 = wk[ky * 3][j], w1 = wk[ky * 3 + 1][j], w2 = wk[ky * 3 + 2][j];
                    } else {
                        uint wj = wi + j * wstride + uint(ky * 3);
                        w0 = MATH_T(WT(wj)), w1 = MATH_T(WT(wj + 1u)), w2 = MATH_T(WT(wj + 2u));
                    }
                    [[unroll]] for (uint q = 0; q < PX; q++) {
                        SUM[r][q][j] += vals[q] * w0 + vals[q + 1] * w1 + vals[q + 2] * w2;
                    }
                }
            }
        }
#ifdef MATH_F16
        [[unroll]] for (uint r = 0; r < PY; r++)
            [[unroll]] for (uint q = 0; q < PX; q++)
                [[unroll]] for (uint j = 0; j < OCB; j++) acc[r][q][j] += float(part[r][q][j]);
#endif
    }
}

void main() {
    uint x0 = gl_GlobalInvocationID.x * PX, ry = gl_GlobalInvocationID.y * PY;
    uint blocks = (p.cout + OCB - 1u) / OCB;
    uint n = gl_GlobalInvocationID.z / blocks;
    uint oc0 = (gl_GlobalInvocationID.z % blocks) * OCB;
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
            [[unroll]] for (uint q = 0; q < PX; q++) {
                if (x0 + q >= p.W) break;
                float v = activate(acc[r][q][j] + bias, p.act);
                if (p.useRes != 0u) v += res[ri + q];
                o[oi + q] = DST_T(v);
            }
        }
    }
}
