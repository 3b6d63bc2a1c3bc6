//! Round trips between an encoder and a decoder, as the two sides of a connection.
