# CMake generated Testfile for 
# Source directory: /work/main/native
# Build directory: /work/main/native/build-tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
subdirs("common")
subdirs("napi")
subdirs("cpu")
subdirs("cuda")
subdirs("tests")
