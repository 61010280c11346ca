// Shared by every vkpercept compute shader.
#extension GL_EXT_control_flow_attributes : require

// Activation codes, the same numbers as kernels.Act.
#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_SIGMOID 2
#define ACT_LEAKY02 3

float activate(float v, uint act) {
    if (act == ACT_RELU) return max(v, 0.0);
    if (act == ACT_SIGMOID) return 1.0 / (1.0 + exp(-v));
    if (act == ACT_LEAKY02) return v >= 0.0 ? v : 0.2 * v;
    return v;
}
