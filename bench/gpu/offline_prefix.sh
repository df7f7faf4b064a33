#!/usr/bin/env bash
# The CPU-side libraries `cdrl` needs, gathered on this Debian 12 machine into one prefix that an
# offline GPU machine (docs/gpu.md) builds against: nlohmann-json, CLI11, zlib, libpng and
# OpenSSL headers with their CMake configs, and OpenCV 4.6 (core, imgproc, imgcodecs with PNG)
# built static from Debian's source, so nothing of Debian's shared OpenCV (and its GDAL) travels.
#   bench/gpu/offline_prefix.sh PREFIX [JOBS=2]     (about 3 minutes on 2 idle cores)
set -euo pipefail
prefix=$(realpath -m "$1") jobs=${2:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$prefix/include/openssl" "$prefix/lib" "$prefix/share/cmake"
cp -r /usr/include/nlohmann /usr/include/CLI "$prefix/include/"
cp -r /usr/include/openssl/. /usr/include/x86_64-linux-gnu/openssl/. "$prefix/include/openssl/"
cp /usr/include/{zlib.h,zconf.h,png.h,pngconf.h,pnglibconf.h} "$prefix/include/"
cp -r /usr/share/cmake/nlohmann_json /usr/share/cmake/CLI11 "$prefix/share/cmake/"
cp /usr/lib/x86_64-linux-gnu/{libpng16.a,libz.a} "$prefix/lib/"

# Debian's OpenCV source, through a deb-src list of our own (the system's lists are untouched).
mkdir -p "$work/apt/lists/partial" "$work/apt/etc"
printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
  > "$work/apt/etc/src.sources"
apt_opts=(-oDir::State::Lists="$work/apt/lists" -oDir::Etc::SourceList=/dev/null
  -oDir::Etc::SourceParts="$work/apt/etc")
apt-get "${apt_opts[@]}" update > /dev/null
(cd "$work" && apt-get "${apt_opts[@]}" source --download-only opencv > /dev/null)
tar -C "$work" -xf "$work"/opencv_*.orig.tar.xz
off=(IPP ITT TBB OPENMP LAPACK EIGEN OPENCL VA JPEG TIFF WEBP OPENJPEG JASPER OPENEXR GDAL GDCM
  PROTOBUF QUIRC ADE GTK QT FFMPEG GSTREAMER V4L 1394 VTK IMGCODEC_HDR IMGCODEC_SUNRASTER
  IMGCODEC_PFM)
without=()
for w in "${off[@]}"; do without+=("-DWITH_$w=OFF"); done
cmake -S "$work"/opencv-4.* -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$prefix/opencv" -DBUILD_SHARED_LIBS=OFF \
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DBUILD_LIST=core,imgproc,imgcodecs -DCPU_DISPATCH= \
  -DWITH_PNG=ON -DBUILD_PNG=OFF -DBUILD_ZLIB=OFF "${without[@]}" \
  -DBUILD_TESTS=OFF -DBUILD_PERF_TESTS=OFF -DBUILD_EXAMPLES=OFF -DBUILD_opencv_apps=OFF \
  -DBUILD_JAVA=OFF -DBUILD_opencv_python3=OFF -DOPENCV_GENERATE_PKGCONFIG=OFF > /dev/null
ninja -C "$work/build" -j "$jobs" install > /dev/null
# Its CMake files name this machine's shared libpng and zlib; point them at the static copies.
sed -i 's#/usr/lib/x86_64-linux-gnu/libpng.so#${_IMPORT_PREFIX}/../lib/libpng16.a#g;
        s#/usr/lib/x86_64-linux-gnu/libz.so#${_IMPORT_PREFIX}/../lib/libz.a#g' \
  "$prefix/opencv/lib/cmake/opencv4/OpenCVModules.cmake"
rm -rf "$prefix/opencv/bin" "$prefix/opencv/share"
du -sh "$prefix"
