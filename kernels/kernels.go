// Package kernels has one Go type per compute op. Each op has a pure-Go
// reference (Ref) that also serves as the CPU backend, and Record, which
// records the op's Vulkan dispatch. Tensors are NCHW float32.
package kernels

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/vkpercept/vkpercept/shaders"
	"github.com/vkpercept/vkpercept/vk"
)

// Act is a fused activation; the numbers match shaders/common.glsl.
type Act uint32

const (
	ActNone    Act = 0
	ActReLU    Act = 1
	ActSigmoid Act = 2
	ActLeaky02 Act = 3 // LeakyReLU with slope 0.2
)

// Apply evaluates the activation in float32 as the shaders do.
func (a Act) Apply(v float32) float32 {
	switch a {
	case ActReLU:
		if v < 0 {
			return 0
		}
	case ActSigmoid:
		return float32(1 / (1 + math.Exp(-float64(v))))
	case ActLeaky02:
		if v < 0 {
			return 0.2 * v
		}
	}
	return v
}

// Shape is an NCHW tensor shape.
type Shape struct{ N, C, H, W int }

// Len is the number of elements.
func (s Shape) Len() int { return s.N * s.C * s.H * s.W }

// Bytes is the size in bytes at float32.
func (s Shape) Bytes() uint64 { return uint64(4 * s.Len()) }

func (s Shape) String() string { return fmt.Sprintf("%dx%dx%dx%d", s.N, s.C, s.H, s.W) }

// GPU resolves registry shaders into cached pipelines on one context.
type GPU struct{ Ctx *vk.Context }

func (g GPU) kernel(name string, spec ...uint32) (*vk.Kernel, error) {
	v, code, err := shaders.Lookup(name)
	if err != nil {
		return nil, err
	}
	return g.Ctx.Kernel(&vk.Shader{Name: v.Name, SPIRV: code, Bindings: v.Bindings, Uniform: v.Uniform, Texel: v.Texel, TexelHalf: v.TexelHalf, FullSubgroups: v.Coopmat}, spec...)
}

func groups(n, size int) uint32 { return uint32((n + size - 1) / size) }

// texels reports whether texel views cover every one of bufs (the _tex
// shaders read them as rgba32f texels).
func texels(bufs ...*vk.Buffer) bool {
	for _, b := range bufs {
		if !b.FitsTexelView() {
			return false
		}
	}
	return true
}

// uniformBytes is the most a kernel's uniform block may span: the device's
// uniform range, and no more than the 64 KB the shaders declare.
func (g GPU) uniformBytes() int { return int(min(g.Ctx.Info().Limits.MaxUniformBufferRange, 65536)) }

func f32bits(v float32) uint32 { return math.Float32bits(v) }

// ParallelFor runs body(i) for i in [0,n) on all cores. Every index is done by
// exactly one goroutine, so results do not depend on the core count. Indices
// are handed out in chunks (about 16 per worker) through an atomic counter.
func ParallelFor(n int, body func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			body(i)
		}
		return
	}
	chunk := int64(max(1, n/(16*workers)))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := next.Add(chunk) - chunk
				if start >= int64(n) {
					return
				}
				for i := start; i < min(start+chunk, int64(n)); i++ {
					body(int(i))
				}
			}
		}()
	}
	wg.Wait()
}

// elems is a buffer's size in elements: a 16-bit buffer holds two per float.
func elems(b *vk.Buffer, half bool) int {
	if half {
		return 2 * floats(b)
	}
	return floats(b)
}

// floats is a buffer's requested size in floats (0 for nil).
func floats(b *vk.Buffer) int {
	if b == nil {
		return 0
	}
	return int(b.Size / 4)
}
