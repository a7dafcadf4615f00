#!/usr/bin/env bash
# Builds extra image training data from photographs in Debian's desktop-wallpaper packages:
# 168 RGB tiles of 256×256 from 23 photos (nature, landscape, texture), each photo downscaled
# with Lanczos to 640 pixels high (a factor 1.6–5.3, which also removes JPEG artefacts), the
# centre 1024×512 cut into 256×256 tiles, nearly flat tiles (standard deviation of the grey
# level < 10/255) dropped.
#   scripts/extra-images.sh DEST
# DEST gets the tiles, the training images of ../shared/data/images/train linked beside them
# (so that `nmc train image --data DEST` trains on both) and a README with sources and licences.
# Needs apt-get (packages are downloaded, not installed) and ImageMagick (installed if missing).
set -euo pipefail
dest=${1:?usage: scripts/extra-images.sh DEST}
train=$(cd "$(dirname "$0")/../../shared/data/images/train" && pwd)
command -v convert >/dev/null && convert -version 2>/dev/null | grep -q ImageMagick \
  || apt-get install -y -q imagemagick >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
packages="mate-backgrounds plasma-workspace-wallpapers lomiri-wallpapers-20.04"
(cd "$work" && apt-get download $packages >/dev/null 2>&1)
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
mate=usr/share/backgrounds/mate/nature
plasma=usr/share/wallpapers
photos="usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg
$(for n in Garden Dune Wood Aqua TwoWings Storm GreenMeadow RainDrops Blinds FreshFlower LadyBird YellowFlower; do echo "$mate/$n.jpg"; done)
$(for n in FallenLeaf Path DarkestHour summer_1am EveningGlow Grey ColorfulCups OneStandsOut ColdRipple BytheWater; do echo "$plasma/$n/contents/images/2560x1600.jpg"; done)"
mkdir -p "$dest"
for photo in $photos; do
  name=$(echo "$photo" | sed -e 's#/contents/images/.*##' -e 's#.*/##' -e 's/_by_.*//' -e 's/\.jpg$//' | tr 'A-Z' 'a-z')
  convert "$work/root/$photo" -colorspace sRGB -filter Lanczos -resize 'x640^' -resize '640x640^' \
    -gravity center -crop 1024x512+0+0 +repage -crop 256x256 +repage -type TrueColor -strip "$work/wp_${name}_%d.png"
done
for tile in "$work"/wp_*.png; do
  [ "$(identify -format '%wx%h' "$tile")" = 256x256 ] || continue
  [ "$(convert "$tile" -colorspace gray -format '%[fx:standard_deviation*255<10]' info:)" = 1 ] && continue
  cp "$tile" "$dest/"
done
ln -sf "$train"/*.png "$dest/"
versions=$(for p in $packages; do dpkg-deb -W --showformat='${Package} ${Version}' "$work/$p"_*.deb; echo; done)
cat > "$dest/README.md" <<EOF
# Extra training images

\`wp_*.png\`: $(ls "$dest"/wp_*.png | wc -l) RGB tiles of 256×256, made by nmc's \`scripts/extra-images.sh\` from 23 photographs
in these Debian packages (bookworm): $(echo "$versions" | paste -sd, | sed 's/,/, /g'). Each photo was downscaled
with Lanczos to 640 pixels high, its centre 1024×512 cut into tiles, and tiles with a grey-level standard deviation
below 10/255 dropped. The other files link to ../shared/data/images/train.

Licences (each package's /usr/share/doc/PACKAGE/copyright): the mate-backgrounds and
plasma-workspace-wallpapers photos GPL-2+, Kleiber_by_Lukas_Baubkus.jpg (lomiri-wallpapers-20.04) CC BY-SA 3.0.
These tiles are altered (downscaled, cut) versions. Used for training only; the images are not shipped.
EOF
echo "$dest: $(ls "$dest"/wp_*.png | wc -l) tiles and $(ls "$train"/*.png | wc -l) training images"
