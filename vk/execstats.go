package vk

/*
#include <stdint.h>
#include <string.h>

// VK_KHR_pipeline_executable_properties' queries, as the C API lays them
// out (its feature is asked for and enabled in features2.go).
#define VKP_PIPELINE_INFO 1000269001
#define VKP_PEXEC_PROPS 1000269002
#define VKP_PEXEC_INFO 1000269003
#define VKP_PEXEC_STAT 1000269004

typedef struct { int32_t sType; const void* pNext; uint64_t pipeline; } vkp_pipeline_info;
typedef struct { int32_t sType; void* pNext; uint32_t stages; char name[256]; char description[256]; uint32_t subgroupSize; } vkp_pexec_props;
typedef struct { int32_t sType; const void* pNext; uint64_t pipeline; uint32_t index; } vkp_pexec_info;
typedef struct {
	int32_t sType; void* pNext; char name[256]; char description[256]; int32_t format;
	union { uint32_t b32; int64_t i64; uint64_t u64; double f64; } value;
} vkp_pexec_stat;

typedef int32_t (*vkp_pexec_props_fn)(void*, const vkp_pipeline_info*, uint32_t*, vkp_pexec_props*);
typedef int32_t (*vkp_pexec_stats_fn)(void*, const vkp_pexec_info*, uint32_t*, vkp_pexec_stat*);

// The pipeline's executables (n of them at most; *n becomes the count).
static int32_t vkp_executables(void* fn, void* dev, uint64_t pipe, uint32_t* n, vkp_pexec_props* out) {
	vkp_pipeline_info pi = {VKP_PIPELINE_INFO, 0, pipe};
	for (uint32_t i = 0; out && i < *n; i++) { memset(&out[i], 0, sizeof out[i]); out[i].sType = VKP_PEXEC_PROPS; }
	return ((vkp_pexec_props_fn)fn)(dev, &pi, n, out);
}

// Executable index's statistics, likewise.
static int32_t vkp_statistics(void* fn, void* dev, uint64_t pipe, uint32_t index, uint32_t* n, vkp_pexec_stat* out) {
	vkp_pexec_info ei = {VKP_PEXEC_INFO, 0, pipe, index};
	for (uint32_t i = 0; out && i < *n; i++) { memset(&out[i], 0, sizeof out[i]); out[i].sType = VKP_PEXEC_STAT; }
	return ((vkp_pexec_stats_fn)fn)(dev, &ei, n, out);
}

static double vkp_stat_value(const vkp_pexec_stat* s) {
	switch (s->format) {
	case 0: return s->value.b32 ? 1 : 0; // BOOL32
	case 1: return (double)s->value.i64;  // INT64
	case 2: return (double)s->value.u64;  // UINT64
	default: return s->value.f64;         // FLOAT64
	}
}
*/
import "C"

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"

	api "github.com/vulkan-go/vulkan"
)

// StatisticsEnv=1 asks every Context for compiler statistics, as
// Options.Statistics does.
const StatisticsEnv = "VKPERCEPT_SHADER_STATS"

// extPipelineStats is the extension behind Kernel statistics.
const extPipelineStats = "VK_KHR_pipeline_executable_properties"

// captureStatistics is VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR.
const captureStatistics = 0x40

// Statistic is one figure the driver's compiler reports for a pipeline,
// under the driver's own name: registers, spills, scratch memory,
// occupancy, instruction counts (RADV's compiler also estimates latency
// and throughput in cycles).
type Statistic struct {
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Value       float64 `json:"value"` // booleans as 0 or 1
}

// Executable is one program the driver made of a pipeline (a compute
// pipeline has one), with its statistics.
type Executable struct {
	Name         string      `json:"name"`
	SubgroupSize uint32      `json:"subgroup_size"`
	Statistics   []Statistic `json:"statistics"`
}

// KernelStatistics is what the compiler reports for one kernel.
type KernelStatistics struct {
	Shader      string       `json:"shader"`
	Spec        []uint32     `json:"spec,omitempty"` // its specialization constants
	Executables []Executable `json:"executables"`
}

func statisticsRequested() bool { return os.Getenv(StatisticsEnv) == "1" }

// loadStatsFns resolves the extension's two commands after device creation.
func (c *Context) loadStatsFns() {
	if !c.phys.info.Features.PipelineStatistics {
		return
	}
	c.statsFns[0] = instanceProc(c.inst.handle, "vkGetPipelineExecutablePropertiesKHR")
	c.statsFns[1] = instanceProc(c.inst.handle, "vkGetPipelineExecutableStatisticsKHR")
	if c.statsFns[0] == nil || c.statsFns[1] == nil {
		c.phys.info.Features.PipelineStatistics = false
	}
}

// KernelStatistics returns every kernel built so far, ordered by shader
// name and specialization, with what the compiler reported of it. The
// executables are left empty where the context has no statistics
// (Info().Features.PipelineStatistics false: Options.Statistics unset, or
// the device lacks VK_KHR_pipeline_executable_properties).
func (c *Context) KernelStatistics() ([]KernelStatistics, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.errClosed(); err != nil {
		return nil, err
	}
	ks := make([]*Kernel, 0, len(c.kernels))
	for _, k := range c.kernels {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b *Kernel) int {
		return cmp.Or(strings.Compare(a.shader.Name, b.shader.Name), slices.Compare(a.spec, b.spec))
	})
	out := make([]KernelStatistics, 0, len(ks))
	for _, k := range ks {
		st := KernelStatistics{Shader: k.shader.Name, Spec: k.spec}
		if c.phys.info.Features.PipelineStatistics {
			var err error
			if st.Executables, err = c.executables(k.pipeline); err != nil {
				return nil, fmt.Errorf("vulkan: statistics of %s: %w", k.shader.Name, err)
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// executables queries one pipeline's executables and their statistics.
func (c *Context) executables(pipe api.Pipeline) ([]Executable, error) {
	var n C.uint32_t
	if err := check(api.Result(C.vkp_executables(c.statsFns[0], handle(c.device), bits64(pipe), &n, nil)), "vkGetPipelineExecutablePropertiesKHR"); err != nil {
		return nil, err
	}
	props := make([]C.vkp_pexec_props, n)
	if n > 0 {
		if err := check(api.Result(C.vkp_executables(c.statsFns[0], handle(c.device), bits64(pipe), &n, &props[0])), "vkGetPipelineExecutablePropertiesKHR"); err != nil {
			return nil, err
		}
	}
	exes := make([]Executable, n)
	for i := range exes {
		exes[i] = Executable{Name: C.GoString(&props[i].name[0]), SubgroupSize: uint32(props[i].subgroupSize)}
		var m C.uint32_t
		if err := check(api.Result(C.vkp_statistics(c.statsFns[1], handle(c.device), bits64(pipe), C.uint32_t(i), &m, nil)), "vkGetPipelineExecutableStatisticsKHR"); err != nil {
			return nil, err
		}
		if m == 0 {
			continue
		}
		stats := make([]C.vkp_pexec_stat, m)
		if err := check(api.Result(C.vkp_statistics(c.statsFns[1], handle(c.device), bits64(pipe), C.uint32_t(i), &m, &stats[0])), "vkGetPipelineExecutableStatisticsKHR"); err != nil {
			return nil, err
		}
		for j := range stats[:m] {
			exes[i].Statistics = append(exes[i].Statistics, Statistic{
				Name:        C.GoString(&stats[j].name[0]),
				Description: C.GoString(&stats[j].description[0]),
				Value:       float64(C.vkp_stat_value(&stats[j])),
			})
		}
	}
	return exes, nil
}
