# CMake generated Testfile for 
# Source directory: /work/main/native/tests
# Build directory: /work/main/native/build-tests/tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[cpu_features]=] "/work/main/native/build-tests/tests/cpu_features_test")
set_tests_properties([=[cpu_features]=] PROPERTIES  ENVIRONMENT_MODIFICATION "SAMP_CPU_ISA=unset:" _BACKTRACE_TRIPLES "/work/main/native/tests/CMakeLists.txt;5;add_test;/work/main/native/tests/CMakeLists.txt;0;")
add_test([=[cuda_probe]=] "/work/main/native/build-tests/tests/cuda_probe_test")
set_tests_properties([=[cuda_probe]=] PROPERTIES  _BACKTRACE_TRIPLES "/work/main/native/tests/CMakeLists.txt;13;add_test;/work/main/native/tests/CMakeLists.txt;0;")
