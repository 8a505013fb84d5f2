"""Study: greedy decoding against beam search with a character language model on DHSD."""
