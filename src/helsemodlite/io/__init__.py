"""Everything that touches disk at run time: the input schemas, reading and checking inputs
directories, tables of a projection, output files, whole-directory writes.
"""
