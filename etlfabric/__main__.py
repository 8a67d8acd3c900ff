from etlfabric.cli import main

main()
