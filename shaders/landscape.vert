#version 130
// A quad over the plotted square; `world` is the point of the model's 2-D space under a fragment.
in vec2 position;  // corner in normalised device coordinates
uniform float extent;  // the square is [-extent, extent]^2
out vec2 world;

void main() {
  world = position * extent;
  gl_Position = vec4(position, 0.0, 1.0);
}
