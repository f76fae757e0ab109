// A stand-in ML thread that dies before it has loaded anything (a backend that cannot load).
process.exit(1)
