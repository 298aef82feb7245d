# Language level, warnings interface target, output folders.
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bin")

add_library(ms_warnings INTERFACE)
add_library(ms::warnings ALIAS ms_warnings)
target_compile_options(ms_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow)
if(MS_WERROR)
  target_compile_options(ms_warnings INTERFACE -Werror)
endif()

# ms_add_core_library(NAME SOURCES ...): a Qt-free core library in core/<folder>.
function(ms_add_library name)
  add_library(${name} STATIC ${ARGN})
  target_include_directories(${name} PUBLIC "${PROJECT_SOURCE_DIR}")
  target_link_libraries(${name} PRIVATE ms::warnings)
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
