#version 450
// An empty dispatch: its timestamp delta is the per-dispatch overhead that
// benchmarks subtract from every kernel's time.
layout(local_size_x = 64) in;
layout(std430, binding = 0) writeonly buffer Out { float o[]; };
void main() {}
