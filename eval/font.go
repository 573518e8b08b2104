package eval

import (
	"image"
	"image/color"
	"strings"
)

// glyphs is a 3x5 pixel font: five rows of three cells per character, '#'
// for ink. Lower case is drawn as upper case.
var glyphs = map[rune]string{
	'A': ".#.#.#####.##.#", 'B': "##.#.###.#.###.", 'C': ".###..#..#...##",
	'D': "##.#.##.##.###.", 'E': "####..##.#..###", 'F': "####..##.#..#..",
	'G': ".###..#.##.#.##", 'H': "#.##.#####.##.#", 'I': "###.#..#..#.###",
	'J': "..#..#..##.#.#.", 'K': "#.##.###.#.##.#", 'L': "#..#..#..#..###",
	'M': "#.########.##.#", 'N': "##.#.##.##.##.#", 'O': ".#.#.##.##.#.#.",
	'P': "##.#.###.#..#..", 'Q': ".#.#.##.###..##", 'R': "##.#.###.#.##.#",
	'S': ".###...#...###.", 'T': "###.#..#..#..#.", 'U': "#.##.##.##.####",
	'V': "#.##.##.##.#.#.", 'W': "#.##.########.#", 'X': "#.##.#.#.#.##.#",
	'Y': "#.##.#.#..#..#.", 'Z': "###..#.#.#..###", '0': "####.##.##.####",
	'1': ".#.##..#..#.###", '2': "##...#.#.#..###", '3': "##...#.#...###.",
	'4': "#.##.####..#..#", '5': "####..##...###.", '6': ".###..####.####",
	'7': "###..#.#..#..#.", '8': "####.#####.####", '9': "####.####..###.",
	'.': ".............#.", ',': "..........#.#..", '-': "......###......",
	':': "....#.....#....", '/': "..#..#.#.#..#..", '(': ".#.#..#..#...#.",
	')': ".#...#..#..#.#.", '=': "...###...###...", '%': "#.#..#.#.#..#.#",
	'+': "....#.###.#....", '_': "............###", ' ': "...............",
}

const fontScale = 2

// textWidth is the width in pixels of s drawn with drawText.
func textWidth(s string) int { return len([]rune(s)) * 4 * fontScale }

// textHeight is the height of a line of text.
const textHeight = 5 * fontScale

// drawText draws s with its top-left corner at (x, y).
func drawText(img *image.RGBA, x, y int, s string, c color.RGBA) {
	for _, r := range strings.ToUpper(s) {
		g, ok := glyphs[r]
		if !ok {
			g = glyphs['-']
		}
		for row := range 5 {
			for col := range 3 {
				if g[row*3+col] != '#' {
					continue
				}
				for dy := range fontScale {
					for dx := range fontScale {
						img.SetRGBA(x+col*fontScale+dx, y+row*fontScale+dy, c)
					}
				}
			}
		}
		x += 4 * fontScale
	}
}
