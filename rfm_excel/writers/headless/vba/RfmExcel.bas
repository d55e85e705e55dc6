Attribute VB_Name = "RfmExcel"
' The Score customers button on the Start Here sheet runs ScoreCustomers. It calls Python through
' xlwings' RunPython (the xlwings module in this workbook): rfm_excel.doors.button reads Orders and
' Settings, scores the customers and writes the output sheets. Setup: docs/excel.md.
Option Explicit

Sub ScoreCustomers()
    RunPython "import rfm_excel.doors.button; rfm_excel.doors.button.score_customers()"
End Sub
