package vk

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	api "github.com/vulkan-go/vulkan"
)

// Options choose the device and the debugging aids of a Context.
type Options struct {
	// Device is the physical-device index; -1 means VKPERCEPT_DEVICE or the automatic choice.
	Device int
	// Validation enables the Khronos validation layer; VKPERCEPT_VALIDATION=1 also does.
	Validation bool
	// Statistics has every pipeline built with the compiler's statistics,
	// for KernelStatistics, where the device offers them;
	// VKPERCEPT_SHADER_STATS=1 also asks for them.
	Statistics bool
}

// Context is one logical device with its compute queue, caches and memory pools.
// Its methods are safe for concurrent use; recorded work is serialised.
type Context struct {
	mu        sync.Mutex // guards the tables below
	rec       sync.Mutex // held by the one active Recorder
	queryPool api.QueryPool
	inst      *instance
	phys      physical
	device    api.Device
	queue     api.Queue
	qmu       sync.Mutex // external synchronisation of queue submissions
	cmdPool   api.CommandPool
	cmd       api.CommandBuffer
	fence     api.Fence
	memTypes  []api.MemoryType
	kernels   map[string]*Kernel
	sets      descriptorCache
	pools     map[memKind]map[uint64][]*Buffer
	all       map[*Buffer]struct{} // every live buffer, freed on Close
	blocks    []*memBlock          // the blocks small buffers share
	stats     Stats
	nextID    uint64
	programs  map[*Program]struct{} // live, destroyed on Close
	closed    bool
	statsFns  [2]unsafe.Pointer // the pipeline-statistics queries, where enabled
}

// Stats counts the Vulkan objects a Context has created; steady-state calls must not move them.
type Stats struct {
	MemoryAllocations uint64 // vkAllocateMemory calls (small buffers share blocks)
	Buffers           uint64 // VkBuffers created
	BytesAllocated    uint64 // total bytes ever allocated
	BytesLive         uint64 // bytes currently allocated, shared blocks whole
	PeakBytes         uint64 // high-water mark of BytesLive
	// The same two for device-local memory alone (weights, activations),
	// without the host-visible staging that holds uploads and read-backs.
	DeviceBytesLive uint64
	DevicePeakBytes uint64
	DescriptorSets  uint64 // descriptor sets allocated
	Pipelines       uint64 // compute pipelines created
	Submits         uint64 // queue submissions
}

// Open creates a Context on the chosen device.
func Open(opt Options) (c *Context, err error) {
	holdFinalizers(func() { c, err = open(opt) }) // vulkan-go's converted arguments (gchold.go)
	return c, err
}

func open(opt Options) (*Context, error) {
	in, err := newInstance(opt.Validation || validationRequested())
	if err != nil {
		return nil, err
	}
	devs, err := enumerate(in)
	if err != nil {
		in.destroy()
		return nil, err
	}
	idx, err := choose(devs, opt.Device)
	if err != nil {
		in.destroy()
		return nil, err
	}
	c := &Context{inst: in, phys: devs[idx], kernels: map[string]*Kernel{}, pools: map[memKind]map[uint64][]*Buffer{}, all: map[*Buffer]struct{}{}}
	if !opt.Statistics && !statisticsRequested() {
		c.phys.info.Features.PipelineStatistics = false
	}
	if err := c.init(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// optFeature is an optional device extension: its feature chain link and
// what to turn off when the device cannot be created with it.
type optFeature struct {
	exts  []string
	chain func(unsafe.Pointer) unsafe.Pointer
	off   func()
}

func (c *Context) init() error {
	qinfo := api.DeviceQueueCreateInfo{
		SType:            api.StructureTypeDeviceQueueCreateInfo,
		QueueFamilyIndex: c.phys.family,
		QueueCount:       1,
		PQueuePriorities: []float32{1},
	}
	dinfo := &api.DeviceCreateInfo{
		SType:                api.StructureTypeDeviceCreateInfo,
		QueueCreateInfoCount: 1,
		PQueueCreateInfos:    []api.DeviceQueueCreateInfo{qinfo},
	}
	if c.phys.info.Features.ShaderInt64 {
		// CPU drivers' kernels read two fp32 values in one 64-bit load.
		dinfo.PEnabledFeatures = []api.PhysicalDeviceFeatures{{ShaderInt64: api.True}}
	}
	var dev api.Device
	res := api.ErrorFeatureNotPresent
	if c.phys.info.Features.Storage16Bit {
		// fp16 kernel variants keep activations in 16-bit storage buffers.
		f16 := api.PhysicalDevice16BitStorageFeatures{
			SType:                    api.StructureTypePhysicalDevice16bitStorageFeatures,
			StorageBuffer16BitAccess: api.True,
		}
		ref, allocs := f16.PassRef()
		dinfo.PNext = unsafe.Pointer(ref)
		// Optional features in order of preference; on failure the last is
		// dropped and the device created again.
		f := &c.phys.info.Features
		var opts []optFeature
		if f.ShaderFloat16 {
			// The fp16-arithmetic variants compute in binary16 too.
			opts = append(opts, optFeature{[]string{extFloat16}, float16Chain, func() { f.ShaderFloat16 = false }})
		}
		if f.MatrixTiles && f.ShaderFloat16 {
			// The MMA kernels' tiles (their shader declares binary16 types).
			exts := []string{extCoopNV, extMemoryModel}
			if f.MatrixTileKHR {
				exts = []string{extCoopKHR, extMemoryModel, extSubgroupSize}
			}
			opts = append(opts, optFeature{exts, coopChain(f.MatrixTileKHR, f.PinnedSubgroups), f.noMatrixTiles})
		} else {
			f.noMatrixTiles()
		}
		if f.PipelineStatistics {
			// Asked for (Options.Statistics): the first dropped should the device refuse.
			opts = append(opts, optFeature{[]string{extPipelineStats}, pipelineStatsChain, func() { f.PipelineStatistics = false }})
		}
		for ; ; opts = opts[:len(opts)-1] {
			next, exts, ok := unsafe.Pointer(ref), []string{}, true
			var chains []unsafe.Pointer
			for _, o := range opts {
				if next = o.chain(next); next == nil {
					ok = false // out of memory
					break
				}
				chains = append(chains, next)
				for _, e := range o.exts {
					exts = append(exts, cstr(e))
				}
			}
			if ok {
				dinfo.PNext, dinfo.EnabledExtensionCount, dinfo.PpEnabledExtensionNames = next, uint32(len(exts)), exts
				res = api.CreateDevice(c.phys.handle, dinfo, nil, &dev)
			}
			for _, p := range chains {
				freeChain(p)
			}
			if res == api.Success || len(opts) == 0 {
				break
			}
			opts[len(opts)-1].off()
		}
		dinfo.PNext, dinfo.EnabledExtensionCount, dinfo.PpEnabledExtensionNames = unsafe.Pointer(ref), 0, nil
		runtime.KeepAlive(allocs)
		dinfo.PNext = nil
	}
	if res != api.Success {
		c.phys.info.Features.Storage16Bit = false
		c.phys.info.Features.ShaderFloat16 = false
		c.phys.info.Features.noMatrixTiles()
		c.phys.info.Features.PipelineStatistics = false
		res = api.CreateDevice(c.phys.handle, dinfo, nil, &dev)
		if err := check(res, "vkCreateDevice"); err != nil {
			return err
		}
	}
	// vulkan-go passes the queue priorities and extension names as Go
	// pointers inside C structs: dinfo holds them until the calls return.
	runtime.KeepAlive(dinfo)
	c.device = dev
	c.loadStatsFns()
	var q api.Queue
	api.GetDeviceQueue(c.device, c.phys.family, 0, &q)
	c.queue = q

	var mp api.PhysicalDeviceMemoryProperties
	api.GetPhysicalDeviceMemoryProperties(c.phys.handle, &mp)
	mp.Deref()
	c.memTypes = make([]api.MemoryType, mp.MemoryTypeCount)
	for i := range c.memTypes {
		mp.MemoryTypes[i].Deref()
		c.memTypes[i] = mp.MemoryTypes[i]
	}

	pool, cmd, fence, err := c.newCommandBuffer()
	c.cmdPool, c.cmd, c.fence = pool, cmd, fence
	return err
}

// newCommandBuffer creates a command pool with one primary command buffer
// and an unsignalled fence for its submissions. Recording into a command
// buffer uses its pool, which Vulkan requires callers to synchronise: so
// the one-off recordings (under c.rec) and every Program (recorded and
// freed by its owner, on any goroutine) each have a pool of their own.
func (c *Context) newCommandBuffer() (api.CommandPool, api.CommandBuffer, api.Fence, error) {
	pinfo := &api.CommandPoolCreateInfo{
		SType:            api.StructureTypeCommandPoolCreateInfo,
		Flags:            api.CommandPoolCreateFlags(api.CommandPoolCreateResetCommandBufferBit),
		QueueFamilyIndex: c.phys.family,
	}
	var pool api.CommandPool
	if err := check(api.CreateCommandPool(c.device, pinfo, nil, &pool), "vkCreateCommandPool"); err != nil {
		return nil, nil, nil, err
	}
	cbs := make([]api.CommandBuffer, 1)
	ainfo := &api.CommandBufferAllocateInfo{
		SType:              api.StructureTypeCommandBufferAllocateInfo,
		CommandPool:        pool,
		Level:              api.CommandBufferLevelPrimary,
		CommandBufferCount: 1,
	}
	if err := check(api.AllocateCommandBuffers(c.device, ainfo, cbs), "vkAllocateCommandBuffers"); err != nil {
		api.DestroyCommandPool(c.device, pool, nil)
		return nil, nil, nil, err
	}
	var fence api.Fence
	if err := check(api.CreateFence(c.device, &api.FenceCreateInfo{SType: api.StructureTypeFenceCreateInfo}, nil, &fence), "vkCreateFence"); err != nil {
		api.DestroyCommandPool(c.device, pool, nil) // frees its command buffer
		return nil, nil, nil, err
	}
	return pool, cbs[0], fence, nil
}

// Info describes the device this Context runs on.
func (c *Context) Info() DeviceInfo { return c.phys.info }

// Stats returns the object counters.
func (c *Context) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// ValidationMessages returns what the validation layer reported so far (nil when it is off).
func (c *Context) ValidationMessages() []string { return c.inst.validationMessages() }

// Close waits for the device and frees everything the Context created.
func (c *Context) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if c.device != nil {
		api.DeviceWaitIdle(c.device)
		c.sets.destroy(c.device)
		for _, k := range c.kernels {
			k.destroy(c.device)
		}
		for b := range c.all {
			b.free()
		}
		if c.queryPool != nil {
			api.DestroyQueryPool(c.device, c.queryPool, nil)
		}
		for p := range c.programs {
			p.destroyLocked()
		}
		if c.fence != nil {
			api.DestroyFence(c.device, c.fence, nil)
		}
		if c.cmdPool != nil {
			api.DestroyCommandPool(c.device, c.cmdPool, nil)
		}
		api.DestroyDevice(c.device, nil)
	}
	c.inst.destroy()
	return nil
}

func (c *Context) errClosed() error {
	if c.closed {
		return fmt.Errorf("vulkan: context is closed")
	}
	return nil
}
