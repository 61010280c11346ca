#version 450
// Two chained 3x3 convolutions in one dispatch: X (up to three sources ->
// CMID channels, ReLU) is computed for a TW x TH output tile plus a one-pixel
// halo into shared memory, and Y (CMID -> COUT, with its activation and an
// optional residual) reads it from there, so X's activation never touches
// device memory. MILO runs its mask network as a short chain of these:
// [ref, dist, mask] -> 32 -> 64 fused, 64 -> 32 alone, 32 -> 16 -> 1 fused.
// Rows and views follow conv3x3.comp: Y's output rows are [y0, y0+rows) of an
// image H high; X is evaluated on rows y0-1 .. y0+rows inside the image, so
// the sources must hold rows y0-2 .. y0+rows+1 that are inside it.
// Variants: SRC_F16 reads the sources from 16-bit storage, DST_F16 writes
// the output to it; arithmetic and the shared tile are fp32.
#extension GL_EXT_shader_16bit_storage : enable
#include "common.glsl"
#include "view.glsl"

layout(local_size_x = 8, local_size_y = 8, local_size_z = 1) in;
layout(constant_id = 0) const uint CMID = 32;
layout(constant_id = 1) const uint COUT = 64;
layout(constant_id = 2) const uint WV = 4096; // vec4s per weights uniform block
const uint PX = 2;                            // output pixels per invocation, along x
const uint TW = 8u * PX, TH = 8u;             // output tile
const uint MW = TW + 2u, MH = TH + 2u;        // X's tile with its halo

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
// X's weights (OIHW) then its biases; Y's in two chunks of output channels
// (uniform buffers are 64 KiB on many devices, Y's 32 -> 64 weights 72 KiB).
layout(std140, binding = 1) uniform WX { vec4 wx4[WV]; };
layout(std140, binding = 2) uniform WY0 { vec4 wy04[WV]; };
layout(std140, binding = 3) uniform WY1 { vec4 wy14[WV]; };
layout(std430, binding = 4) readonly buffer A { SRC_T a[]; };
layout(std430, binding = 5) readonly buffer B { SRC_T b[]; };
layout(std430, binding = 6) readonly buffer M { SRC_T m[]; };
layout(std430, binding = 7) readonly buffer R { float res[]; };

#define WX(i) wx4[(i) >> 2][(i) & 3u]
#define WY0(i) wy04[(i) >> 2][(i) & 3u]
#define WY1(i) wy14[(i) >> 2][(i) & 3u]

layout(push_constant) uniform P {
    uint W, H, N;
    uint ca, cb, cm;   // X's channels from a, b, m
    uint xBias;        // offset of X's biases in WX
    uint ySplit;       // Y's output channels in WY0; the rest are in WY1
    uint yBias0, yBias1;
    uint act;          // Y's activation (X's is ReLU)
    uint useRes;
    uint y0, rows;
    View va, vb, vm, vo, vr;
} p;

shared float mid[CMID * MH * MW];

float load(uint src, uint idx) {
    if (src == 0u) return float(a[idx]);
    if (src == 1u) return float(b[idx]);
    return float(m[idx]);
}

// Adds source src's share of X at image pixel (x, y) to acc.
void addX(inout float acc[CMID], uint src, View v, uint cs, uint icBase, uint cin, uint n, int x, int y) {
    for (uint ic = 0; ic < cs; ic++) {
        [[unroll]] for (int ky = 0; ky < 3; ky++) {
            int yy = y + ky - 1;
            if (yy < 0 || yy >= int(p.H)) continue;
            uint row = at(v, n, ic, uint(yy), p.W);
            [[unroll]] for (int kx = 0; kx < 3; kx++) {
                int xx = x + kx - 1;
                if (xx < 0 || xx >= int(p.W)) continue;
                float val = load(src, row + uint(xx));
                uint wi = (icBase + ic) * 9u + uint(ky * 3 + kx);
                [[unroll]] for (uint c = 0; c < CMID; c++) acc[c] += val * WX(c * cin * 9u + wi);
            }
        }
    }
}

// X at image pixel (x, y), all CMID channels, into the shared tile at r.
void evalX(uint n, int x, int y, uint r) {
    float acc[CMID];
    [[unroll]] for (uint c = 0; c < CMID; c++) acc[c] = 0.0;
    uint cin = p.ca + p.cb + p.cm;
    addX(acc, 0u, p.va, p.ca, 0u, cin, n, x, y);
    addX(acc, 1u, p.vb, p.cb, p.ca, cin, n, x, y);
    addX(acc, 2u, p.vm, p.cm, p.ca + p.cb, cin, n, x, y);
    [[unroll]] for (uint c = 0; c < CMID; c++) mid[c * MH * MW + r] = max(acc[c] + WX(p.xBias + c), 0.0);
}

float wy(uint oc, uint i) {
    return oc < p.ySplit ? WY0(oc * CMID * 9u + i) : WY1((oc - p.ySplit) * CMID * 9u + i);
}

void main() {
    uint n = gl_WorkGroupID.z;
    int tx0 = int(gl_WorkGroupID.x * TW), ty0 = int(p.y0 + gl_WorkGroupID.y * TH);
    int ylo = max(int(p.y0) - 1, 0), yhi = min(int(p.y0 + p.rows) + 1, int(p.H));
    uint lid = gl_LocalInvocationIndex;
    // X on the tile and its halo; pixels outside the image are Y's zero
    // padding, rows outside [y0-1, y0+rows] are never read.
    for (uint r = lid; r < MH * MW; r += 64u) {
        int x = tx0 - 1 + int(r % MW), y = ty0 - 1 + int(r / MW);
        if (x >= 0 && x < int(p.W) && y >= ylo && y < yhi) {
            evalX(n, x, y, r);
        } else {
            [[unroll]] for (uint c = 0; c < CMID; c++) mid[c * MH * MW + r] = 0.0;
        }
    }
    barrier();
    uint lx = gl_LocalInvocationID.x * PX, ly = gl_LocalInvocationID.y;
    int x0 = tx0 + int(lx), y = ty0 + int(ly);
    if (x0 >= int(p.W) || y >= int(p.y0 + p.rows)) return;
    float acc[PX][COUT];
    [[unroll]] for (uint q = 0; q < PX; q++)
        [[unroll]] for (uint oc = 0; oc < COUT; oc++) acc[q][oc] = 0.0;
    for (uint c = 0; c < CMID; c++) {
        [[unroll]] for (uint ky = 0; ky < 3u; ky++) {
            float v[PX + 2];
            [[unroll]] for (uint i = 0; i < PX + 2u; i++) v[i] = mid[c * MH * MW + (ly + ky) * MW + lx + i];
            [[unroll]] for (uint oc = 0; oc < COUT; oc++) {
                uint wi = c * 9u + ky * 3u;
                float w0 = wy(oc, wi), w1 = wy(oc, wi + 1u), w2 = wy(oc, wi + 2u);
                [[unroll]] for (uint q = 0; q < PX; q++) acc[q][oc] += v[q] * w0 + v[q + 1u] * w1 + v[q + 2u] * w2;
            }
        }
    }
    [[unroll]] for (uint oc = 0; oc < COUT; oc++) {
        float bias = oc < p.ySplit ? WY0(p.yBias0 + oc) : WY1(p.yBias1 + oc - p.ySplit);
        uint oi = at(p.vo, n, oc, uint(y), p.W) + uint(x0);
        uint ri = at(p.vr, n, oc, uint(y), p.W) + uint(x0);
        [[unroll]] for (uint q = 0; q < PX; q++) {
            if (x0 + int(q) >= int(p.W)) break;
            float val = activate(acc[q][oc] + bias, p.act);
            if (p.useRes != 0u) val += res[ri + q];
            o[oi + q] = DST_T(val);
        }
    }
}
