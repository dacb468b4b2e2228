//! The follow-up flow's pure logic: no I/O, a clock passed in, tested beside the code.
