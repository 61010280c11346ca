package vk

import (
	"errors"
	"fmt"
	"unsafe"

	api "github.com/vulkan-go/vulkan"
)

// Dispatch is one compute dispatch. Bindings are Out then In, in that order,
// matching the shader's binding numbers.
type Dispatch struct {
	Kernel *Kernel
	Groups [3]uint32
	Push   []uint32 // at most MaxPush/4 words
	Out    []*Buffer
	In     []*Buffer
	Label  string // names the dispatch in timestamp results
	// Flops and Bytes are the dispatch's arithmetic and compulsory memory
	// traffic, carried into Timing for achieved-rate tables; Arith is the
	// arithmetic its Flops run on, whose peak they compare with.
	Flops, Bytes float64
	Arith        Arith
}

// Arith is the kind of arithmetic a dispatch's work runs on: GPUs' peaks
// differ by up to 15x between them (an H100's float32 FMA against its tensor
// cores).
type Arith uint8

const (
	ArithFP32  Arith = iota // float32 multiply-adds (the default)
	ArithFP16               // binary16 vector arithmetic (shaderFloat16)
	ArithTiles              // binary16 products on matrix tiles, fp32 sums (cooperative matrices)
)

func (a Arith) String() string {
	switch a {
	case ArithFP32:
		return "fp32"
	case ArithFP16:
		return "fp16"
	case ArithTiles:
		return "tiles"
	}
	return fmt.Sprintf("Arith(%d)", int(a))
}

// Recorder records a whole pass into the context's command buffer; Submit
// runs it with one queue submission and one fence wait. Only one Recorder per
// Context exists at a time: Begin blocks until the previous one has finished.
type Recorder struct {
	c        *Context
	cmd      api.CommandBuffer
	prog     *Program        // recording a reusable program rather than a one-off pass
	written  map[uint64]bool // buffers written since the last barrier
	read     map[uint64]bool // buffers read since the last barrier
	staging  []*Buffer
	reads    []pendingRead
	barriers int
	profile  bool
	marks    []Timing
	bindBuf  []*Buffer
	err      error
}

type pendingRead struct {
	src *Buffer
	dst []float32
}

// Timing is the device time of one dispatch, from timestamps, with the work
// its Dispatch declared.
type Timing struct {
	Label        string
	Ns           float64
	Flops, Bytes float64
	Arith        Arith
}

const maxQueries = 1024

// Begin starts recording. With profile, a timestamp follows each dispatch.
func (c *Context) Begin(profile bool) (*Recorder, error) {
	c.rec.Lock()
	c.mu.Lock()
	err := c.errClosed()
	if err == nil && profile && c.queryPool == nil {
		err = c.newQueryPool()
	}
	c.mu.Unlock()
	if err != nil {
		c.rec.Unlock()
		return nil, err
	}
	if err := check(api.ResetCommandBuffer(c.cmd, 0), "vkResetCommandBuffer"); err != nil {
		c.rec.Unlock()
		return nil, err
	}
	binfo := &api.CommandBufferBeginInfo{
		SType: api.StructureTypeCommandBufferBeginInfo,
		Flags: api.CommandBufferUsageFlags(api.CommandBufferUsageOneTimeSubmitBit),
	}
	if err := check(api.BeginCommandBuffer(c.cmd, binfo), "vkBeginCommandBuffer"); err != nil {
		c.rec.Unlock()
		return nil, err
	}
	r := &Recorder{c: c, cmd: c.cmd, written: map[uint64]bool{}, read: map[uint64]bool{}, profile: profile}
	if profile {
		api.CmdResetQueryPool(c.cmd, c.queryPool, 0, maxQueries)
		api.CmdWriteTimestamp(c.cmd, api.PipelineStageTopOfPipeBit, c.queryPool, 0)
	}
	return r, nil
}

func (r *Recorder) fail(err error) error {
	if r.err == nil {
		r.err = err
	}
	return r.err
}

// hazard inserts one memory barrier when a buffer about to be touched was
// written, or is about to be written after being read, since the last barrier.
func (r *Recorder) hazard(in, out []*Buffer) {
	need := false
	for _, b := range in {
		need = need || r.written[b.id]
	}
	for _, b := range out {
		need = need || r.written[b.id] || r.read[b.id]
	}
	if !need {
		return
	}
	fullBarrier(r.cmd)
	clear(r.written)
	clear(r.read)
	r.barriers++
}

func (r *Recorder) touched(in, out []*Buffer) {
	for _, b := range in {
		r.read[b.id] = true
	}
	for _, b := range out {
		r.written[b.id] = true
	}
}

// Barriers is how many barriers the recording holds so far.
func (r *Recorder) Barriers() int { return r.barriers }

// Dispatch records one compute dispatch with the barriers it needs.
func (r *Recorder) Dispatch(d Dispatch) error {
	if r.err != nil {
		return r.err
	}
	if len(d.Push)*4 > MaxPush {
		return r.fail(fmt.Errorf("vulkan: %s: %d push-constant words exceed %d bytes", d.Kernel.Name(), len(d.Push), MaxPush))
	}
	n := len(d.Out) + len(d.In)
	if n != d.Kernel.shader.Bindings {
		return r.fail(fmt.Errorf("vulkan: %s takes %d buffers, %d bound", d.Kernel.Name(), d.Kernel.shader.Bindings, n))
	}
	for _, g := range d.Groups {
		if g == 0 {
			return nil // empty grid: nothing to do
		}
	}
	lim := r.c.phys.info.Limits.MaxWorkgroupCount
	for i, g := range d.Groups {
		if lim[i] != 0 && g > lim[i] {
			return r.fail(fmt.Errorf("vulkan: %s: %d workgroups in dimension %d exceed the device limit %d", d.Kernel.Name(), g, i, lim[i]))
		}
	}
	r.bindBuf = append(append(r.bindBuf[:0], d.Out...), d.In...)
	r.c.mu.Lock()
	set, err := r.c.descriptorSet(d.Kernel, r.bindBuf)
	r.c.mu.Unlock()
	if err != nil {
		return r.fail(fmt.Errorf("%s: %w", d.Kernel.Name(), err))
	}
	r.hazard(d.In, d.Out)
	cb := r.cmd
	api.CmdBindPipeline(cb, api.PipelineBindPointCompute, d.Kernel.pipeline)
	api.CmdBindDescriptorSets(cb, api.PipelineBindPointCompute, d.Kernel.layout, 0, 1, []api.DescriptorSet{set}, 0, nil)
	if len(d.Push) > 0 {
		api.CmdPushConstants(cb, d.Kernel.layout, api.ShaderStageFlags(api.ShaderStageComputeBit), 0, uint32(4*len(d.Push)), unsafe.Pointer(&d.Push[0]))
	}
	api.CmdDispatch(cb, d.Groups[0], d.Groups[1], d.Groups[2])
	r.touched(d.In, d.Out)
	if r.profile && len(r.marks)+1 < maxQueries {
		r.marks = append(r.marks, Timing{Label: d.Label, Flops: d.Flops, Bytes: d.Bytes, Arith: d.Arith})
		api.CmdWriteTimestamp(cb, api.PipelineStageComputeShaderBit, r.c.queryPool, uint32(len(r.marks)))
	}
	return nil
}

func (r *Recorder) stage(n uint64) (*Buffer, error) {
	r.c.mu.Lock()
	b, err := r.c.acquire(n, Staging)
	r.c.mu.Unlock()
	if err != nil {
		return nil, r.fail(err)
	}
	r.staging = append(r.staging, b)
	return b, nil
}

func (r *Recorder) copy(src, dst *Buffer, n uint64) { r.copyAt(src, 0, dst, 0, n) }

func (r *Recorder) copyAt(src *Buffer, srcOff uint64, dst *Buffer, dstOff, n uint64) {
	r.hazard([]*Buffer{src}, []*Buffer{dst})
	cmdCopy(r.cmd, src.handle, dst.handle, srcOff, dstOff, n)
	r.touched([]*Buffer{src}, []*Buffer{dst})
}

// Upload copies data into dst (from offset 0) through a staging buffer, in command order.
func (r *Recorder) Upload(dst *Buffer, data []float32) error {
	if r.err != nil {
		return r.err
	}
	n := uint64(4 * len(data))
	if n == 0 {
		return nil
	}
	if n > dst.capacity {
		return r.fail(fmt.Errorf("vulkan: upload of %d bytes into a %d-byte buffer", n, dst.capacity))
	}
	st, err := r.stage(n)
	if err != nil {
		return err
	}
	copy(unsafe.Slice((*float32)(st.mapped), len(data)), data)
	r.copy(st, dst, n)
	return nil
}

// Stage copies data into a host-visible buffer that shaders can read in
// place for this submission: for inputs too large to copy to device memory.
func (r *Recorder) Stage(data []float32) (*Buffer, error) {
	if r.err != nil {
		return nil, r.err
	}
	st, err := r.stage(uint64(4 * max(len(data), 1)))
	if err != nil {
		return nil, err
	}
	copy(unsafe.Slice((*float32)(st.mapped), len(data)), data)
	// Host writes before the submission are visible to it; no barrier needed.
	return st, nil
}

// Download copies len(dst) floats from src into dst when the submission completes.
func (r *Recorder) Download(src *Buffer, dst []float32) error { return r.DownloadAt(src, 0, dst) }

// DownloadAt copies len(dst) floats from src, starting at float off, into dst
// when the submission completes.
func (r *Recorder) DownloadAt(src *Buffer, off int, dst []float32) error {
	if r.err != nil {
		return r.err
	}
	n := uint64(4 * len(dst))
	if n == 0 {
		return nil
	}
	if off < 0 || uint64(4*off)+n > src.capacity {
		return r.fail(fmt.Errorf("vulkan: read-back of %d bytes at %d from a %d-byte buffer", n, 4*off, src.capacity))
	}
	st, err := r.stage(n)
	if err != nil {
		return err
	}
	r.copyAt(src, uint64(4*off), st, 0, n)
	r.reads = append(r.reads, pendingRead{src: st, dst: dst})
	return nil
}

// Fill sets the first n bytes of dst to a repeated 32-bit word.
func (r *Recorder) Fill(dst *Buffer, n uint64, word uint32) error {
	if r.err != nil {
		return r.err
	}
	r.hazard(nil, []*Buffer{dst})
	api.CmdFillBuffer(r.cmd, dst.handle, 0, api.DeviceSize((n+3)&^3), word)
	r.touched(nil, []*Buffer{dst})
	return nil
}

// Submit ends recording, runs the work, waits for it and completes the read-backs.
// It returns the per-dispatch timings when profiling.
func (r *Recorder) Submit() ([]Timing, error) {
	c := r.c
	if c == nil {
		return nil, errors.New("vulkan: Submit of a recording already submitted, aborted or made a program")
	}
	defer r.finish()
	if r.err != nil {
		api.EndCommandBuffer(c.cmd)
		return nil, r.err
	}
	if err := endForHost(c.cmd); err != nil {
		return nil, err
	}
	if err := c.submit(c.cmd, c.fence); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.stats.Submits++
	c.mu.Unlock()
	if err := check(waitReset(c.device, c.fence), "vkWaitForFences"); err != nil {
		return nil, err
	}
	completeReads(r.reads)
	if !r.profile || len(r.marks) == 0 {
		return nil, nil
	}
	return c.readTimestamps(r.marks)
}

// Abort drops the recording without running it. After Submit or another
// Abort it does nothing, so "defer r.Abort()" guards every early return:
// a recording left open holds the context's recording lock, and the next
// Begin would wait for it forever.
func (r *Recorder) Abort() {
	if r.c == nil {
		return
	}
	api.EndCommandBuffer(r.cmd)
	r.finish()
}

func (r *Recorder) finish() {
	if r.c == nil {
		return
	}
	r.c.Release(r.staging...)
	r.staging = nil
	if r.prog != nil {
		r.prog.destroy()
	} else {
		r.c.rec.Unlock()
	}
	r.c = nil
}

// endForHost makes the recording's writes visible to the host before its
// fence signals, and ends the command buffer.
func endForHost(cmd api.CommandBuffer) error {
	cmdBarrier(cmd, api.PipelineStageFlags(api.PipelineStageTransferBit|api.PipelineStageComputeShaderBit), api.PipelineStageFlags(api.PipelineStageHostBit),
		api.AccessFlags(api.AccessTransferWriteBit|api.AccessShaderWriteBit), api.AccessFlags(api.AccessHostReadBit))
	return check(api.EndCommandBuffer(cmd), "vkEndCommandBuffer")
}

// fullBarrier orders every earlier compute or transfer write before every
// later compute or transfer access.
func fullBarrier(cmd api.CommandBuffer) {
	stages := api.PipelineStageFlags(api.PipelineStageComputeShaderBit | api.PipelineStageTransferBit)
	cmdBarrier(cmd, stages, stages, api.AccessFlags(api.AccessShaderWriteBit|api.AccessTransferWriteBit),
		api.AccessFlags(api.AccessShaderReadBit|api.AccessShaderWriteBit|api.AccessTransferReadBit|api.AccessTransferWriteBit))
}

// submit queues one command buffer with its fence (queue access is serialised).
func (c *Context) submit(cmd api.CommandBuffer, fence api.Fence) error {
	c.qmu.Lock()
	res := submitOne(c.queue, cmd, fence)
	c.qmu.Unlock()
	return check(res, "vkQueueSubmit")
}

// completeReads copies finished read-backs from staging to their destinations.
func completeReads(reads []pendingRead) {
	for _, rd := range reads {
		copy(rd.dst, unsafe.Slice((*float32)(rd.src.mapped), len(rd.dst)))
	}
}
