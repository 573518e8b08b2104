// Package canvas draws the small pictures the commands write (heat maps,
// plots) with the standard library alone: a 3x5 pixel font, filled
// rectangles, lines, and an atomic PNG writer.
package canvas

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

// Scale is the size in pixels of one font cell.
const Scale = 2

// TextHeight is the height of a line of text.
const TextHeight = 5 * Scale

// TextWidth is the width in pixels of s drawn with Text.
func TextWidth(s string) int { return len([]rune(s)) * 4 * Scale }

// Text draws s with its top-left corner at (x, y); lower case is drawn as
// upper case, unknown runes as '-'.
func Text(img *image.RGBA, x, y int, s string, c color.RGBA) {
	for _, r := range strings.ToUpper(s) {
		g, ok := glyphs[r]
		if !ok {
			g = glyphs['-']
		}
		for row := range 5 {
			for col := range 3 {
				if g[row*3+col] == '#' {
					Fill(img, image.Rect(x+col*Scale, y+row*Scale, x+(col+1)*Scale, y+(row+1)*Scale), c)
				}
			}
		}
		x += 4 * Scale
	}
}
