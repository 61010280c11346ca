#version 450
// Converts rows of frames' pixels, as the host wrote them into staging or
// an engine copied an image into a buffer, into the planar float32 rows
// MILO reads (whole frames, or a band at a time where the memory budget
// leaves no room for them): RGBA8 unorm (a word a
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
    uint Y0, ROWS; // the rows converted, from Y0; frames along z
} p;

// The format words, as kernels.Unpack names them.
#define FMT_RGBA8 0u
#define FMT_RGBA16F 1u

void main() {
    uint x = gl_GlobalInvocationID.x, y = p.Y0 + gl_GlobalInvocationID.y, n = gl_GlobalInvocationID.z;
    if (x >= p.W) return;
    // Output: Band(C, Y0, Y0+ROWS, W) per frame; raw frames back to back.
    uint band = p.W * p.ROWS, plane = p.W * p.H, i = y * p.W + x;
    uint o0 = n * p.C * band + gl_GlobalInvocationID.y * p.W + x;
    vec3 v;
    if (fmt == FMT_RGBA8) {
        v = unpackUnorm4x8(raw[n * plane + i]).rgb;
    } else if (fmt == FMT_RGBA16F) {
        uint r0 = 2u * (n * plane + i);
        v = vec3(unpackHalf2x16(raw[r0]), unpackHalf2x16(raw[r0 + 1u]).x);
    } else {
        uint r0 = n * p.C * plane + i;
        for (uint c = 0; c < p.C; c++) o[o0 + c * band] = uintBitsToFloat(raw[r0 + c * plane]);
        return;
    }
    o[o0] = v.r;
    o[o0 + band] = v.g;
    o[o0 + 2u * band] = v.b;
}
