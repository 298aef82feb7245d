# Finds the three OpenCV modules MammoScope uses (core, imgproc, imgcodecs) from Debian's per-module -dev
# packages, without the libopencv-dev meta package (which pulls in VTK, Qt 5 and more). Defines OpenCV::<module>.
find_path(OpenCVParts_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4)
set(_ms_cv_vars OpenCVParts_INCLUDE_DIR)
foreach(m core imgproc imgcodecs)
  find_library(OpenCVParts_${m}_LIBRARY NAMES opencv_${m})
  list(APPEND _ms_cv_vars OpenCVParts_${m}_LIBRARY)
endforeach()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(OpenCVParts REQUIRED_VARS ${_ms_cv_vars})
if(OpenCVParts_FOUND)
  foreach(m core imgproc imgcodecs)
    if(NOT TARGET OpenCV::${m})
      add_library(OpenCV::${m} UNKNOWN IMPORTED)
      set_target_properties(OpenCV::${m} PROPERTIES
        IMPORTED_LOCATION "${OpenCVParts_${m}_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${OpenCVParts_INCLUDE_DIR}")
    endif()
  endforeach()
endif()
