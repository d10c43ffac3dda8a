//! Where each site's box goes: a grid that stays readable from one site to CCE's 200 (lab
//! choice: about three columns for every two rows, at most eight columns; each row as tall as its
//! tallest site).

/// Space between boxes, and around the whole picture.
pub const GAP_X: f64 = 24.0;
pub const GAP_Y: f64 = 40.0;

/// The placed grid: cell `i` is at row `i / columns`, column `i % columns`.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub columns: usize,
    pub cell_width: f64,
    pub left: f64,
    /// The top of each row.
    pub row_tops: Vec<f64>,
    pub row_heights: Vec<f64>,
}

impl Grid {
    /// The bottom of row `row`.
    pub fn row_bottom(&self, row: usize) -> f64 {
        self.row_tops[row] + self.row_heights[row]
    }
}

/// How many columns `sites` boxes get.
pub fn columns(sites: usize) -> usize {
    match sites {
        0 => 1,
        1..=4 => sites,
        n => ((n as f64 * 1.5).sqrt().ceil() as usize).clamp(4, 8),
    }
}

impl Grid {
    /// Places boxes of `heights` (in plan order), all `cell_width` wide, from (`left`, `top`),
    /// `gap_y` apart from row to row (at least [`GAP_Y`]; more where more lines run between rows).
    pub fn new(heights: &[f64], cell_width: f64, left: f64, top: f64, gap_y: f64) -> Grid {
        let columns = columns(heights.len());
        let row_heights: Vec<f64> =
            heights.chunks(columns).map(|row| row.iter().cloned().fold(0.0, f64::max)).collect();
        let mut row_tops = Vec::with_capacity(row_heights.len());
        let mut y = top;
        for h in &row_heights {
            row_tops.push(y);
            y += h + gap_y;
        }
        Grid { columns, cell_width, left, row_tops, row_heights }
    }

    /// The top-left corner of cell `i`.
    pub fn corner(&self, i: usize) -> (f64, f64) {
        let (row, column) = (i / self.columns, i % self.columns);
        (self.left + column as f64 * (self.cell_width + GAP_X), self.row_tops[row])
    }

    pub fn rows(&self) -> usize {
        self.row_tops.len()
    }

    /// How many cells row `row` holds out of `count`.
    pub fn cells_in_row(&self, row: usize, count: usize) -> usize {
        count.saturating_sub(row * self.columns).min(self.columns)
    }

    pub fn width(&self) -> f64 {
        self.columns as f64 * (self.cell_width + GAP_X) - GAP_X
    }

    /// The bottom of the last row.
    pub fn bottom(&self) -> f64 {
        match (self.row_tops.last(), self.row_heights.last()) {
            (Some(t), Some(h)) => t + h,
            _ => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_grow_slowly_and_stop_at_eight() {
        assert_eq!(columns(1), 1);
        assert_eq!(columns(3), 3);
        assert_eq!(columns(20), 6);
        assert_eq!(columns(200), 8);
    }

    #[test]
    fn rows_are_as_tall_as_their_tallest_box() {
        let grid = Grid::new(&[10.0, 30.0, 20.0, 5.0, 7.0], 100.0, 0.0, 0.0, GAP_Y);
        assert_eq!(grid.columns, 4);
        assert_eq!(grid.row_heights, vec![30.0, 7.0]);
        assert_eq!(grid.corner(4), (0.0, 30.0 + GAP_Y));
        assert_eq!(grid.cells_in_row(1, 5), 1);
    }
}
