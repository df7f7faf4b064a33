#version 130
// One level's energy F(y) as a heatmap: the grid's table looked up with bilinear filtering,
// normalised to the level's range (clamped) and colour-mapped (dark = low F = improbable, bright = high F),
// with faint contour lines every 1/contours of the range.
in vec2 world;
uniform sampler2D energy;  // resolution x resolution nodes, row 0 at y = -extent
uniform float resolution;
uniform float extent;
uniform vec2 range;        // F mapped to the two ends of the colour map
uniform float contours;    // bands over the range; 0 draws none
out vec4 colour;

// Viridis through five of its stops: perceptually ordered and monotone in lightness.
vec3 viridis(float t) {
  vec3 stops[5] = vec3[5](vec3(0.267, 0.005, 0.329), vec3(0.231, 0.322, 0.545),
                          vec3(0.129, 0.569, 0.549), vec3(0.369, 0.788, 0.384),
                          vec3(0.992, 0.906, 0.145));
  float s = clamp(t, 0.0, 1.0) * 4.0;
  int k = int(min(floor(s), 3.0));
  return mix(stops[k], stops[k + 1], s - float(k));
}

void main() {
  // Node centres sit at texel centres: node j of n at texture coordinate (j + 0.5) / n.
  vec2 node = (world / extent * 0.5 + 0.5) * (resolution - 1.0);
  float F = texture(energy, (node + 0.5) / resolution).r;
  float t = (F - range.x) / max(range.y - range.x, 1e-12);
  vec3 c = viridis(t);
  if (contours > 0.0 && t > 0.0 && t < 1.0) {
    float f = t * contours;
    float distance_px = abs(fract(f + 0.5) - 0.5) / max(fwidth(f), 1e-6);
    c *= mix(0.75, 1.0, clamp(distance_px, 0.0, 1.0));
  }
  colour = vec4(c, 1.0);
}
