package vk

import (
	"fmt"
	"unsafe"

	api "github.com/vulkan-go/vulkan"
)

// Program is a command buffer recorded once and submitted for every frame:
// nothing is recorded, allocated or looked up per run. Its inputs are
// staging slots the host fills between runs (UploadSlot, StageSlot), its
// read-backs land in the slices given to Download at recording time.
// Each program begins with a full barrier, so programs sharing device
// buffers may be submitted back to back and run in submission order.
type Program struct {
	c       *Context
	pool    api.CommandPool // its own: see newCommandBuffer
	cmd     api.CommandBuffer
	fence   api.Fence
	staging []*Buffer
	reads   []pendingRead
	pending bool
}

// Record starts recording a Program; finish it with Recorder.Program.
func (c *Context) Record() (*Recorder, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.errClosed(); err != nil {
		return nil, err
	}
	pool, cmd, fence, err := c.newCommandBuffer()
	if err != nil {
		return nil, err
	}
	p := &Program{c: c, pool: pool, cmd: cmd, fence: fence}
	if c.programs == nil {
		c.programs = map[*Program]struct{}{}
	}
	c.programs[p] = struct{}{}
	if err := check(api.BeginCommandBuffer(p.cmd, &api.CommandBufferBeginInfo{SType: api.StructureTypeCommandBufferBeginInfo}), "vkBeginCommandBuffer"); err != nil {
		p.destroyLocked()
		return nil, err
	}
	fullBarrier(p.cmd) // against earlier submissions sharing device buffers
	return &Recorder{c: c, cmd: p.cmd, prog: p, written: map[uint64]bool{}, read: map[uint64]bool{}}, nil
}

// UploadSlot records a copy of floats values from a staging slot into dst
// and returns the slot, which the host fills before each run.
func (r *Recorder) UploadSlot(dst *Buffer, floats int) ([]float32, error) {
	if r.err != nil {
		return nil, r.err
	}
	n := uint64(4 * floats)
	if n > dst.capacity {
		return nil, r.fail(fmt.Errorf("vulkan: upload slot of %d bytes into a %d-byte buffer", n, dst.capacity))
	}
	st, err := r.stage(n)
	if err != nil {
		return nil, err
	}
	r.copy(st, dst, n)
	return unsafe.Slice((*float32)(st.mapped), floats), nil
}

// StageSlot returns a host-visible buffer of floats values that shaders read
// in place, and its mapped memory for the host to fill before each run.
func (r *Recorder) StageSlot(floats int) (*Buffer, []float32, error) {
	if r.err != nil {
		return nil, nil, r.err
	}
	st, err := r.stage(uint64(4 * max(floats, 1)))
	if err != nil {
		return nil, nil, err
	}
	return st, unsafe.Slice((*float32)(st.mapped), floats), nil
}

// Program ends the recording of a Program.
func (r *Recorder) Program() (*Program, error) {
	p := r.prog
	if p == nil {
		return nil, fmt.Errorf("vulkan: Program called on a one-off recording")
	}
	if r.err != nil {
		r.Abort()
		return nil, r.err
	}
	if err := endForHost(p.cmd); err != nil {
		r.Abort()
		return nil, err
	}
	p.staging, p.reads = r.staging, r.reads
	r.staging, r.prog, r.c = nil, nil, nil
	return p, nil
}

// Submit queues one run and returns at once; Wait completes it.
func (p *Program) Submit() error {
	if p.pending {
		return fmt.Errorf("vulkan: program submitted twice without Wait")
	}
	if err := p.c.submit(p.cmd, p.fence); err != nil {
		return err
	}
	p.pending = true
	return nil
}

// Wait blocks until the submitted run is done and copies its read-backs.
func (p *Program) Wait() error {
	if !p.pending {
		return fmt.Errorf("vulkan: Wait without Submit")
	}
	p.pending = false
	if err := check(waitReset(p.c.device, p.fence), "vkWaitForFences"); err != nil {
		return err
	}
	completeReads(p.reads)
	return nil
}

// Run submits and waits.
func (p *Program) Run() error {
	if err := p.Submit(); err != nil {
		return err
	}
	return p.Wait()
}

// Close waits for a pending run and frees the program and its slots.
func (p *Program) Close() {
	if p.c == nil {
		return
	}
	if p.pending {
		p.Wait()
	}
	p.c.Release(p.staging...)
	p.destroy()
}

func (p *Program) destroy() {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	p.destroyLocked()
}

// destroyLocked frees the program's pool, command buffer and fence (under
// c.mu; Context.Close calls it for the programs left open).
func (p *Program) destroyLocked() {
	if p.c == nil {
		return
	}
	api.DestroyCommandPool(p.c.device, p.pool, nil) // frees its command buffer
	api.DestroyFence(p.c.device, p.fence, nil)
	delete(p.c.programs, p)
	p.c = nil
}
