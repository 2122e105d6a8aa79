"""Command-line front ends: `tflx`, `tflx-opt`, `tflx-translate`."""
