#version 450
// Converts one frame's pixels, as the host wrote them into staging, into
// the planar C x H x W float32 image MILO reads: RGBA8 unorm (a word a
// pixel), RGBA16F (two words a pixel, binary16 little-endian) or already
// planar float32; alpha is dropped. The format is a word the host writes
// with each frame (metric.Session), so that one recorded command buffer
// takes any of them, and the host only copies bytes: converting a 1080p
// RGBA8 frame on one core took 5 ms, RGBA16F 12 ms.
#include "common.glsl"

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) writeonly buffer Out { float o[]; };
layout(std430, binding = 1) readonly buffer Raw { uint raw[]; };
layout(std430, binding = 2) readonly buffer Fmt { uint fmt; };

layout(push_constant) uniform P {
    uint W, H, C;
} p;

// The format words, as kernels.Unpack names them.
#define FMT_RGBA8 0u
#define FMT_RGBA16F 1u

void main() {
    uint x = gl_GlobalInvocationID.x, y = gl_GlobalInvocationID.y;
    if (x >= p.W) return;
    uint plane = p.W * p.H, i = y * p.W + x;
    vec3 v;
    if (fmt == FMT_RGBA8) {
        v = unpackUnorm4x8(raw[i]).rgb;
    } else if (fmt == FMT_RGBA16F) {
        v = vec3(unpackHalf2x16(raw[2u * i]), unpackHalf2x16(raw[2u * i + 1u]).x);
    } else {
        for (uint c = 0; c < p.C; c++) o[c * plane + i] = uintBitsToFloat(raw[c * plane + i]);
        return;
    }
    o[i] = v.r;
    o[plane + i] = v.g;
    o[2u * plane + i] = v.b;
}
