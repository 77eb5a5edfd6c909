from cfggen.cli import main

main()
