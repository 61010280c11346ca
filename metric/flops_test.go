package metric

import "testing"

// Flops counts every level of the pyramid, halved sizes rounded down, and
// the first layer's 2C+1 input channels.
func TestFlops(t *testing.T) {
	for _, c := range []struct {
		ch, h, w int
		want     float64
	}{
		// 18 (7*32 + 32*64 + 64*32 + 32*16 + 16) = 87264 a pixel, over
		// 1920x1080 + 960x540 + 480x270 + 240x135 = 2754000 pixels.
		{3, 1080, 1920, 87264 * 2754000},
		// Odd sizes: 33x17, 16x8, 8x4, 4x2.
		{3, 17, 33, 87264 * (561 + 128 + 32 + 8)},
		// Latents: 9 input channels, 18 (9*32 + 4624) = 88416.
		{4, 64, 64, 88416 * (4096 + 1024 + 256 + 64)},
	} {
		if got := Flops(c.ch, c.h, c.w); got != c.want {
			t.Errorf("Flops(%d, %d, %d) = %.0f, want %.0f", c.ch, c.h, c.w, got, c.want)
		}
	}
}
