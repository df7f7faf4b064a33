#version 130
// A sample drawn as a disc: each point is a two-triangle quad spread around its centre in pixels.
in vec2 centre;  // the sample, in the model's 2-D space
in vec2 corner;  // (+-1, +-1)
uniform float extent;
uniform vec2 pixel;    // one pixel in normalised device coordinates (2/width, 2/height)
uniform float radius;  // disc radius in pixels
out vec2 local;

void main() {
  local = corner;
  gl_Position = vec4(centre / extent + corner * radius * pixel, 0.0, 1.0);
}
