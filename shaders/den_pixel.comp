#version 450
// Posterior-mean denoiser for a per-pixel Gaussian-mixture prior with up to
// four components (one component is the Gaussian prior): for y = x + N(0, s^2),
// D(y) = sum_m r_m(y) (mu_m + v_m/(v_m+s^2) (y - mu_m)), with
// r_m proportional to w_m N(y; mu_m, v_m + s^2). Image j uses
// s = sig[sigOff + j % period].
layout(local_size_x = 256) in;

layout(std430, binding = 0) writeonly buffer Out { float o[]; };
layout(std430, binding = 1) readonly buffer In { float y[]; };
layout(std430, binding = 2) readonly buffer Sig { float sig[]; };

layout(push_constant) uniform P {
    uint numel, images, sigOff, period, M;
    vec4 w, mu, v;
} p;

void main() {
    uint e = gl_GlobalInvocationID.x, j = gl_GlobalInvocationID.y;
    if (e >= p.numel || j >= p.images) return;
    float s = sig[p.sigOff + j % p.period];
    float s2 = s * s;
    float yy = y[j * p.numel + e];
    float logr[4], post[4];
    float top = -3.0e38;
    for (uint m = 0u; m < p.M; m++) {
        float var = p.v[m] + s2;
        float d = yy - p.mu[m];
        logr[m] = log(p.w[m]) - 0.5 * log(var) - 0.5 * d * d / var;
        post[m] = p.mu[m] + (p.v[m] / var) * d;
        top = max(top, logr[m]);
    }
    float num = 0.0, den = 0.0;
    for (uint m = 0u; m < p.M; m++) {
        float r = exp(logr[m] - top);
        num += r * post[m];
        den += r;
    }
    o[j * p.numel + e] = num / den;
}
