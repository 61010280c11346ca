// Philox4x32-10 and Box-Muller, the device twin of kernels/philox.go.
const uint PHILOX_M0 = 0xD2511F53u, PHILOX_M1 = 0xCD9E8D57u;
const uint PHILOX_W0 = 0x9E3779B9u, PHILOX_W1 = 0xBB67AE85u;

uvec4 philox4x32(uvec4 c, uvec2 k) {
    for (int r = 0; r < 10; r++) {
        uint hi0, lo0, hi1, lo1;
        umulExtended(PHILOX_M0, c.x, hi0, lo0);
        umulExtended(PHILOX_M1, c.z, hi1, lo1);
        c = uvec4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
        k += uvec2(PHILOX_W0, PHILOX_W1);
    }
    return c;
}

// The counter of the block holding element e of a stream at step k (see NoiseCounter).
uvec4 noiseCounter(uint e, uint k, uint stream) { return uvec4(e / 4u, k, stream, 0x49454D31u); }

float unitf(uint x) { return (float(x >> 8) + 0.5) * (1.0 / 16777216.0); }

vec4 normal4(uvec4 w) {
    const float TAU = 6.28318530717958647692;
    float r0 = sqrt(-2.0 * log(unitf(w.x)));
    float r1 = sqrt(-2.0 * log(unitf(w.z)));
    float t0 = TAU * unitf(w.y), t1 = TAU * unitf(w.w);
    return vec4(r0 * cos(t0), r0 * sin(t0), r1 * cos(t1), r1 * sin(t1));
}

float noiseAt(uvec2 key, uint e, uint k, uint stream) {
    return normal4(philox4x32(noiseCounter(e, k, stream), key))[e % 4u];
}
