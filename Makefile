# vkpercept — perceptual image metrics on Vulkan compute.
export XDG_RUNTIME_DIR ?= /tmp/vkpercept-xdg
$(shell mkdir -p $(XDG_RUNTIME_DIR) && chmod 700 $(XDG_RUNTIME_DIR))

GO ?= go
WEIGHTS ?= $(VKPERCEPT_MILO_WEIGHTS)

.PHONY: all build quickstart example shaders shaders-check coopmat-toolchain coopmat-driver test test-validation test-subgroups test-race test-coopmat test-mesa26 test-gpuav test-gpu-compile bench fit-spectrum train-milo eval-milo check-milo-big clean

all: build

build:
	$(GO) build -o bin/vkpercept ./tools/vkpercept

# Installs what is missing, builds, and scores the bundled example pair.
quickstart:
	./tools/setup.sh
	$(MAKE) build
	$(MAKE) example

# The built-in weights unless WEIGHTS names a checkpoint (e.g. the authors' MILO.pth).
example: build
	./bin/vkpercept milo $(if $(WEIGHTS),--weights "$(WEIGHTS)") --map examples/map.png examples/ref.png examples/dist.png

# Compiles every registered shader variant (glslc -O, spirv-val) into shaders/spv.
shaders: coopmat-toolchain
	$(GO) run ./tools/shadergen

shaders-check: coopmat-toolchain
	$(GO) run ./tools/shadergen -check

# Debian 13's glslc and spirv-val, unpacked under .debroot/trixie (not
# installed): Debian 12's glslang predates GL_KHR_cooperative_matrix, which
# the _khr MMA variants need.
coopmat-toolchain:
	$(GO) run ./tools/debroot -suite trixie -dir .debroot/trixie glslc spirv-tools

# Debian forky's lavapipe (Mesa 26), loader and validation layer, unpacked
# under .debroot/forky: the first lavapipe with VK_KHR_cooperative_matrix.
coopmat-driver:
	$(GO) run ./tools/debroot -suite forky,sid -dir .debroot/forky mesa-vulkan-drivers libvulkan1 vulkan-validationlayers mesa-drm-shim

# The MMA kernels on native cooperative-matrix tiles, and MILO's golden
# scores through them, on forky's lavapipe under the validation layer
# (VKPERCEPT_REQUIRE_TILES: a device without the tiles fails the tests).
test-coopmat: coopmat-driver
	$(GO) test -c -o bin/kernels.test ./kernels
	$(GO) test -c -o bin/metric.test ./metric
	cd kernels && VKPERCEPT_REQUIRE_TILES=1 VKPERCEPT_VALIDATION=1 ../.debroot/forky/bin/run ../bin/kernels.test -test.count=1 -test.v -test.run 'MMA'
	cd metric && VKPERCEPT_REQUIRE_TILES=1 VKPERCEPT_VALIDATION=1 ../.debroot/forky/bin/run ../bin/metric.test -test.count=1 -test.v -test.run 'TestMILOGolden/^vulkan-fp16-mma$$/'

# The kernel tests under GPU-assisted validation (forky's layer, whose
# instrumented shaders report every read or write outside a buffer's
# range): lavapipe bounds-checks every access and reads zeros, where a GPU
# reads whatever lies beside. About 40 minutes on 2 cores; not in CI.
test-gpuav: coopmat-driver
	$(GO) test -c -o bin/kernels.test ./kernels
	cd kernels && VKPERCEPT_VALIDATION=gpu VKPERCEPT_REQUIRE_TILES=1 ../.debroot/forky/bin/run ../bin/kernels.test -test.count=1 -test.timeout 90m

# The Vulkan packages' whole suites on forky's lavapipe under its newer
# validation layer (1.4): a second driver generation, native tiles included.
test-mesa26: coopmat-driver
	for p in vk kernels metric selftest bench; do $(GO) test -c -o bin/$$p.test ./$$p || exit 1; done
	for p in vk kernels metric selftest; do \
		(cd $$p && VKPERCEPT_REQUIRE_TILES=1 VKPERCEPT_VALIDATION=1 ../.debroot/forky/bin/run ../bin/$$p.test -test.count=1) || exit 1; \
	done
	# The tiles' kernels in a profiled pass: what the bench's table reads.
	cd bench && VKPERCEPT_REQUIRE_TILES=1 VKPERCEPT_VALIDATION=1 ../.debroot/forky/bin/run ../bin/bench.test -test.count=1 -test.run 'ProfileArith/^fp16-mma$$'
	# Intel's and the GPUs' tile shapes, which this lavapipe computes but
	# does not list (so the validation layer stays off).
	cd kernels && VKPERCEPT_REQUIRE_TILES=1 VKPERCEPT_TILE_SHAPES=8x8x16,8x16x16,16x16x16 ../.debroot/forky/bin/run ../bin/kernels.test -test.count=1 -test.run 'MMAMatchesReference/_tile'
	cd kernels && VKPERCEPT_REQUIRE_TILES=1 VKPERCEPT_TILE_SHAPES=8x8x16,16x16x16 ../.debroot/forky/bin/run ../bin/kernels.test -test.count=1 -test.run 'LayersBenchRuns'

# MILO's pipelines built by RADV's compiler for AMD GPUs that are not here
# (Mesa's no-op DRM shim: pipelines compile, submissions do nothing): RDNA3
# (navi31) and RDNA4 (gfx1201), every variant, at sizes that take every
# shader form, under the validation layer; no kernel may spill registers or
# use scratch memory. The tables land in bin/kernels-*.md.
test-gpu-compile: coopmat-driver build
	$(GO) test -c -o bin/vk.test ./vk
	for id in navi31 gfx1201; do \
		(cd vk && AMDGPU_GPU_ID=$$id ../.debroot/forky/bin/run-radv ../bin/vk.test -test.count=1 -test.run 'KernelStatistics') || exit 1; \
		AMDGPU_GPU_ID=$$id VKPERCEPT_VALIDATION=1 .debroot/forky/bin/run-radv ./bin/vkpercept kernels -no-spills \
			-size 1920x1080,3840x2160,1001x333 > bin/kernels-$$id.md || exit 1; \
	done

test:
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

# The Vulkan suites with llvmpipe's SIMD at 128 and 512 bits: subgroups of
# 4 and 16 lanes where it has 8 here (GPUs have 32 or 64, Intel's 8 to 32),
# so that no shader, choice of variant or test leans on one subgroup size.
test-subgroups:
	for lanes in 4 16; do \
		LP_NATIVE_VECTOR_WIDTH=$$((lanes * 32)) VKPERCEPT_REQUIRE_SUBGROUP=$$lanes $(GO) test -count=1 -timeout 30m ./vk ./kernels ./metric ./selftest || exit 1; \
	done

# The race detector over what runs in several goroutines: the vk package,
# MILOs and sessions sharing a context, Vulkan calls under a collecting
# goroutine, the command's concurrent image decoding. About a minute.
test-race:
	$(GO) test -race -count=1 ./vk
	$(GO) test -race -count=1 -run 'UnderCollection' ./kernels
	$(GO) test -race -count=1 -run 'ShareAContext|Session|UnderCollection' ./metric
	$(GO) test -race -count=1 -run 'Prefetch|MiloBadInput|MiloPairs' ./tools/vkpercept

# The whole suite under the Khronos validation layer; any message fails it.
test-validation:
	VKPERCEPT_VALIDATION=1 $(GO) test -count=1 -timeout 30m ./...

bench: build
	$(GO) build -o bin/vkbench ./bench/cmd/vkbench
	./bin/vkbench $(BENCHFLAGS)

# Refits the wiener IEM denoiser's prior to python3-skimage's CC0/public-domain photographs.
SKIMAGE_DATA = /tmp/vkpercept-skimage/usr/lib/python3/dist-packages/skimage/data
fit-spectrum:
	cd /tmp && apt-get download python3-skimage && dpkg -x python3-skimage_*.deb /tmp/vkpercept-skimage
	$(GO) run ./tools/fitspectrum $(SKIMAGE_DATA)/astronaut.png $(SKIMAGE_DATA)/chelsea.png \
		$(SKIMAGE_DATA)/coffee.png $(SKIMAGE_DATA)/rocket.jpg $(SKIMAGE_DATA)/camera.png

# Our own MILO weights, the built-in default (see tools/train): pictures from
# Debian packages, distortions, teacher scores and pseudo-MOS, and training
# with Debian's python3-torch. About 80 minutes on 2 cores; resumable;
# TRAINFLAGS go to the training script.
train-milo:
	$(GO) run ./tools/train/data
	$(GO) run ./tools/train/label
	/usr/bin/python3 tools/train/train_milo.py $(TRAINFLAGS)

# The trained weights against the authors' (../shared/milo/weights/MILO.pth) and
# the teachers on the validation pairs: about 30 minutes, 15 on a rerun.
eval-milo:
	$(GO) run ./tools/train/eval

# A larger check of the same agreement: six crops per validation picture
# (9450 pairs) scored in PyTorch, per type with bootstrap intervals. About 25
# minutes after train-milo (whose unpacked pictures it reuses).
check-milo-big:
	mkdir -p .train-big && cp .train/manifest.json .train-big/
	$(GO) run ./tools/train/label -work .train-big -val-crops 6
	/usr/bin/python3 tools/train/check_val.py --work .train-big --out .train-big/check.json

clean:
	rm -rf bin
