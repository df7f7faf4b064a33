#version 130
// A filled disc with a dark rim, so markers stay visible on every part of the colour map.
in vec2 local;
uniform vec4 fill;
uniform vec4 rim;
out vec4 colour;

void main() {
  float r = length(local);
  if (r > 1.0) discard;
  colour = r > 0.65 ? rim : fill;
}
