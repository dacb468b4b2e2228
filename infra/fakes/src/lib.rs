//! Local fake servers of the product's providers (work in progress: Fathom and Anthropic follow).
