#pragma once
// Go's `text/tabwriter`, the column aligner behind every Docker table (`images`, `ps`, ...).
//
// Vocabulary (Go's): the input is UTF-8 text split into *lines* at '\n' (or '\f') and each line
// into *cells* terminated by '\t' (or '\v'). The text after the last tab of a line is the line's
// *trailing cell*: it belongs to no column and is never padded. A *column block* is a run of
// consecutive lines that all have a tab-terminated cell in that column; every cell of a block is
// padded to the block's width = max(cell width) + `padding`, but at least `min_width`. Because
// blocks are per column, a line with fewer cells ends the blocks of the columns it lacks, so
// "aaaa\tbbb\td / aa\tb\tdd / a\t / aa\tcccc\teee" gives the b-column and the c-column separate
// widths (Go's package example). Widths count runes (code points, an invalid byte counting as
// one), not bytes and not terminal columns: East Asian wide characters misalign, as in Docker.
// Text between two 0xff bytes (Go's `Escape`) is one unit: tabs inside do not split cells and
// the escape bytes themselves are passed through but not counted.
//
// Not supported: Go's `FilterHTML` and `StripEscape` flags.
// Thread-safety: a `TabWriter` is a plain value; use one per thread.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

// Go's tabwriter flags that change the layout (a bit set, as in Go).
enum class TabFlag : std::uint8_t {
  none = 0,
  align_right = 1,           // pad before the cell text instead of after it
  discard_empty_columns = 2, // a column block whose cells are all empty and '\v'-terminated
                             // gets width 0
  tab_indent = 4,            // pad leading empty cells with tabs whatever `pad_char` is
  debug = 8,                 // print '|' between columns
};

[[nodiscard]] constexpr TabFlag operator|(TabFlag a, TabFlag b) {
  return static_cast<TabFlag>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}

// `tabwriter.NewWriter(out, min_width, tab_width, padding, pad_char, flags)`. The defaults are
// the ones Docker's CLI uses for every table: `NewWriter(out, 10, 1, 3, ' ', 0)`.
struct TabWriterOptions {
  std::size_t min_width = 10; // minimal cell width, padding included
  std::size_t tab_width = 1;  // the width of a '\t' when padding with tabs
  std::size_t padding = 3;    // added to the widest cell of a block
  char pad_char = ' ';        // '\t' pads with tabs to multiples of `tab_width`, left-aligned
  TabFlag flags = TabFlag::none;
};

// Buffers text and aligns it on `flush()`, as Go's Writer does. `write` may split text anywhere,
// even inside a cell or a UTF-8 sequence. `flush` formats everything buffered, returns it and
// resets the writer; a final line without '\n' is emitted without one.
class TabWriter {
public:
  explicit TabWriter(TabWriterOptions options = {});

  void write(std::string_view text);
  [[nodiscard]] std::string flush();

private:
  struct Cell {
    std::size_t size = 0;  // bytes of text
    std::size_t width = 0; // runes of text
    bool htab = false;     // terminated by '\t' (not '\v')
  };

  void append(std::string_view text);
  void update_width();
  void end_escape();
  std::size_t terminate_cell(bool htab);
  void format_all();
  std::size_t format(std::size_t pos, std::size_t line0, std::size_t line1);
  std::size_t write_lines(std::size_t pos, std::size_t line0, std::size_t line1);
  void write_padding(std::size_t text_width, std::size_t cell_width, bool use_tabs);
  [[nodiscard]] bool has(TabFlag flag) const;

  TabWriterOptions options_;
  std::string buf_;                   // the text of all cells, without tabs and newlines
  std::size_t width_pos_ = 0;         // where `update_width` stops counting
  Cell cell_;                         // the cell being filled
  std::vector<std::vector<Cell>> lines_{1};
  std::vector<std::size_t> widths_;   // column widths of the blocks being formatted
  bool in_escape_ = false;
  std::string out_;
};

// Aligns `text` in one go with `options` (Docker's table settings by default).
[[nodiscard]] std::string tabwrite(std::string_view text, TabWriterOptions options = {});

// The number of runes in `text` as Go's `utf8.RuneCount` counts them: each invalid or truncated
// byte counts as one. The width measure of `TabWriter`, also used by `printf` padding.
[[nodiscard]] std::size_t rune_count(std::string_view text);

} // namespace strata
