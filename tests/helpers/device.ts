// The device the native and end-to-end tests run on: 'cpu' unless NIVP_TEST_DEVICE=cuda (the GPU
// script bench/gpu.sh sets it), so one suite checks both paths.
export const testDevice: 'cpu' | 'cuda' = process.env.NIVP_TEST_DEVICE === 'cuda' ? 'cuda' : 'cpu';
