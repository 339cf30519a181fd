import TPCommands

TPCommands.main()
