#version 450
// A histogram of rows [y0, y0+rows) of n single-channel images (MILO's
// quality map, a band at a time) over BINS equal bins from lo, 1/scale
// wide, values outside clamped into the end bins, and each image's
// maximum: hist[n*(BINS+1) + b] counts bin b and hist[n*(BINS+1) + BINS]
// holds the largest value as an order-preserving uint (orderKey; 0: none
// yet). Counts accumulate over dispatches: the pass zeroes the buffer once.
// A workgroup counts its pixels in shared memory and adds its non-zero
// bins to the image's histogram, so global atomics number the bins a tile
// touches, not its pixels: where the frames agree the map is 0, and every
// pixel would add to one counter.
#include "common.glsl"
#include "view.glsl"

layout(local_size_x = 256, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint BINS = 2048; // 8 KB of shared memory (16 KB is the least a device offers)
layout(constant_id = 1) const uint PER = 16; // pixels an invocation counts

layout(std430, binding = 0) buffer Hist { uint hist[]; };
layout(std430, binding = 1) readonly buffer Q { float q[]; };

layout(push_constant) uniform P {
    uint W, y0, rows;
    float lo, scale;
    View vq;
} p;

shared uint counts[BINS];
shared uint top;

// orderKey maps floats to uints of the same order (negatives reversed).
uint orderKey(float v) {
    uint u = floatBitsToUint(v);
    return (u & 0x80000000u) != 0u ? ~u : (u | 0x80000000u);
}

void main() {
    uint t = gl_LocalInvocationID.x, n = gl_WorkGroupID.y;
    for (uint b = t; b < BINS; b += 256u) counts[b] = 0u;
    if (t == 0u) top = 0u;
    barrier();
    uint len = p.rows * p.W, best = 0u;
    for (uint k = 0u; k < PER; k++) {
        uint i = (gl_WorkGroupID.x * PER + k) * 256u + t;
        if (i >= len) break;
        uint y = p.y0 + i / p.W, x = i % p.W;
        float v = q[at(p.vq, n, 0u, y, p.W) + x];
        float f = clamp(floor((v - p.lo) * p.scale), 0.0, float(BINS - 1u));
        atomicAdd(counts[uint(f)], 1u);
        best = max(best, orderKey(v));
    }
    atomicMax(top, best);
    barrier();
    uint h = n * (BINS + 1u);
    for (uint b = t; b < BINS; b += 256u) {
        uint c = counts[b];
        if (c != 0u) atomicAdd(hist[h + b], c);
    }
    if (t == 0u) atomicMax(hist[h + BINS], top);
}
