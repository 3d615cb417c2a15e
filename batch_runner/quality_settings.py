"""Default thresholds of the output quality checks, importable without Pillow."""

# Catches empty and stub files. The smallest complete image Pillow 13 writes is
# larger: 44 bytes for a 1x1 WEBP, 67 for a 1x1 PNG. A smooth 256x256 gradient
# can be under 1 KB, so a higher default would reject real images.
DEFAULT_MIN_BYTES = 32
DEFAULT_MAX_BYTES: int | None = None  # no upper limit unless one is set

# Maximum per-channel standard deviation, on the 0-255 scale, of an image that
# counts as one flat colour. A flat colour saved as JPEG or WEBP at quality 75
# measures below 1, and a faint gradient from level 100 to 140 measures about 11.
DEFAULT_UNIFORM_THRESHOLD = 2.0
