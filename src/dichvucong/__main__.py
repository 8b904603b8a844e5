from dichvucong.cli import main

main()
